import ChatCore

/// Emits what happens in conversations to their members, keeping removed members out.
///
/// Messages arrive from the ``MessageAppender`` already in commit order, with the audience the store read under
/// the conversation's lock, so they are emitted as they come: one hop per committed batch. Other conversation
/// events (read receipts, typing) go through ``emitEvent(in:to:_:)``. A removal calls ``revoke(_:from:)``, which
/// filters the removed users out of every later emit of the conversation and returns only once the emits already
/// under way have finished: so once the removal is announced, nothing more of the conversation reaches them.
actor ConversationDelivery {
    /// Sends one message to the sockets of `memberIDs`, except the socket `exceptSocket` (the sending one).
    typealias Emit = @Sendable (_ message: AppendedMessage, _ memberIDs: [Int64], _ exceptSocket: String?) async -> Void
    /// In a cluster: tells the other nodes about a removal (`revoked`) or an addition (`restored`).
    typealias Relay = @Sendable (_ conversationID: Int64, _ revoked: [Int64], _ restored: [Int64]) async -> Void

    /// Users removed from a conversation: filtered out of its later emits.
    private var revocations: ConversationRevocations
    private var inFlight = EmitsInFlight()
    private let emit: Emit
    private let relay: Relay?
    /// Sends a change to a stored message (`message:updated`, `message:deleted`, `message:reactions`) to the sockets
    /// of `memberIDs`, every one of them (the changing socket included, so the user's other tabs agree).
    typealias EmitChange = @Sendable (_ change: MessageChange, _ memberIDs: [Int64]) async -> Void
    private let emitChange: EmitChange?

    /// - Parameter revocationLifetime: how long a removal is remembered. Anything emitted later read its audience
    ///   after the removal committed, so this only has to outlast the emits already on their way, which take
    ///   milliseconds.
    /// - Parameter relay: in a cluster, relays removals and additions made here to the other nodes.
    init(revocationLifetime: Duration = .seconds(20), relay: Relay? = nil, emit: @escaping Emit, emitChange: EmitChange? = nil) {
        self.emit = emit
        self.emitChange = emitChange
        self.relay = relay
        self.revocations = ConversationRevocations(lifetime: revocationLifetime)
    }

    /// Emits committed messages in the order given (commit order, hence `seq` order in each conversation).
    func deliver(_ messages: [AppendedMessage]) async {
        for appended in messages {
            let conversationID = appended.message.conversationID
            let audience = revocations.filter(appended.memberIDs, in: conversationID)
            guard !audience.isEmpty else { continue }
            let id = inFlight.begin(in: conversationID)
            await emit(appended, audience, appended.origin)
            inFlight.end(id, in: conversationID)
        }
    }

    /// Emits a committed change to a message. The ``MessageAppender`` hands changes over in commit order with its
    /// batches, so the change reaches each member after every `message:new` committed before it and before any
    /// committed after it.
    func deliver(change: MessageChange) async {
        guard let emitChange else { return }
        let conversationID = change.message.conversationID
        let audience = revocations.filter(change.memberIDs, in: conversationID)
        guard !audience.isEmpty else { return }
        let id = inFlight.begin(in: conversationID)
        await emitChange(change, audience)
        inFlight.end(id, in: conversationID)
    }

    /// Stops the conversation's later emits from reaching `userIDs` (removed members), and returns only once the
    /// emits already under way in it have finished.
    /// In a cluster the other nodes are told too (`relay`), and this returns once they have been.
    func revoke(_ userIDs: [Int64], from conversationID: Int64, relay: Bool = true) async {
        guard !userIDs.isEmpty else { return }
        revocations.revoke(userIDs, from: conversationID)
        let pending = inFlight.running(in: conversationID)
        if !pending.isEmpty {
            await withCheckedContinuation { inFlight.wait(for: pending, in: conversationID, $0) }
        }
        if relay, let relayTo = self.relay { await relayTo(conversationID, userIDs, []) }
    }

    /// Lets users added (back) to a conversation hear it again (on every node of a cluster, with `relay`).
    func restore(_ userIDs: [Int64], to conversationID: Int64, relay: Bool = true) async {
        guard !userIDs.isEmpty else { return }
        revocations.restore(userIDs, to: conversationID)
        if relay, let relayTo = self.relay { await relayTo(conversationID, [], userIDs) }
    }

    /// Sends an event about the conversation that is not a message (a read receipt, typing) to those of
    /// `userIDs` not revoked from it: it reaches a removed member before their removal is announced, or not at all.
    func emitEvent(in conversationID: Int64, to userIDs: [Int64], _ send: @Sendable (_ userIDs: [Int64]) async -> Void) async {
        let audience = revocations.filter(userIDs, in: conversationID)
        guard !audience.isEmpty else { return }
        let id = inFlight.begin(in: conversationID)
        await send(audience)
        inFlight.end(id, in: conversationID)
    }

    /// Whether an emit of the conversation is under way.
    func isEmitting(_ conversationID: Int64) -> Bool { !inFlight.running(in: conversationID).isEmpty }
}
