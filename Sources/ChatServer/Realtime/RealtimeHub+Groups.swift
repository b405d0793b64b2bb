import ChatCore

extension RealtimeHub {
    /// Tells everyone a group change concerns: `conversation:new` to members it added, `conversation:update` to
    /// members who were there before and still are (the actor's other devices too), `conversation:removed` to
    /// members it removed. A change that changed nothing is announced to nobody.
    ///
    /// Returns the group encoded for its members (nil when it is gone, nothing changed, or it could not be
    /// encoded), so the REST answer reuses that encoding instead of encoding every member again.
    @discardableResult
    func publish(_ change: GroupChange) async -> ConversationPayloads? {
        guard change.changed else { return nil }
        // Removed members stop hearing the group before they are told, so nothing from it follows the news;
        // members added back hear it again before they learn they are in.
        await deliveries.revoke(change.removedMemberIDs, from: change.conversationID)
        await deliveries.restore(change.addedMemberIDs, to: change.conversationID)
        var payloads: ConversationPayloads?
        if let conversation = change.conversation {
            payloads = await self.payloads(for: conversation)
            if let payloads {
                await announce(RealtimeEvent.conversationNew, payloads: payloads, to: change.newRecipientIDs)
                await announce(RealtimeEvent.conversationUpdate, payloads: payloads, to: change.updateRecipientIDs)
            }
        }
        await emitter.emit(
            RealtimeEvent.conversationRemoved, APIConversationRemoved(conversationId: String(change.conversationID)), toUsers: change.removedMemberIDs)
        return payloads
    }
}
