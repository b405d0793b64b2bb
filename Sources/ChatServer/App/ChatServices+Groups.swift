import ChatCore

extension ChatServices {
    /// Group operations over the same store and id generator as the other services. A value built on use: it
    /// holds no state of its own (the rules run in the store's transaction), so nothing needs wiring at start-up.
    public var groups: GroupService {
        GroupService(store: store, ids: conversations.ids, limits: limits)
    }

    /// Blocks, over the same store; stateless like ``groups``.
    public var blocks: BlockService {
        BlockService(store: store)
    }

    /// Of `userIDs`, those whose presence `viewerID` must not see (a block between them): every REST answer that
    /// shows users to a viewer passes this to ``APIUser`` / ``APIConversation``.
    func hiddenPresence(viewerID: Int64, among userIDs: [Int64]) async throws -> Set<Int64> {
        try await blocks.hiddenPresence(viewerID: viewerID, among: userIDs)
    }
}
