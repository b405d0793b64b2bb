import ChatCore

extension RealtimeHub {
    /// Tells everyone a group change concerns: `conversation:new` to members it added, `conversation:update` to
    /// members who were there before and still are (the actor's other devices too), `conversation:removed` to
    /// members it removed. A change that changed nothing is announced to nobody.
    func publish(_ change: GroupChange) async {
        guard change.changed else { return }
        // Removed members stop hearing the group before they are told, so nothing from it follows the news;
        // members added back hear it again before they learn they are in.
        await deliveries.revoke(change.removedMemberIDs, from: change.conversationID)
        await deliveries.restore(change.addedMemberIDs, to: change.conversationID)
        if let conversation = change.conversation {
            await announce(RealtimeEvent.conversationNew, conversation: conversation, to: change.newRecipientIDs)
            await announce(RealtimeEvent.conversationUpdate, conversation: conversation, to: change.updateRecipientIDs)
        }
        await emitter.emit(
            RealtimeEvent.conversationRemoved, APIConversationRemoved(conversationId: String(change.conversationID)), toUsers: change.removedMemberIDs)
    }
}
