import ChatCore

extension ChatServices {
    /// Group operations over the same store and id generator as the other services. A value built on use: it
    /// holds no state of its own (the rules run in the store's transaction), so nothing needs wiring at start-up.
    public var groups: GroupService {
        GroupService(store: store, ids: conversations.ids, limits: limits)
    }
}
