import Foundation

/// Opening, listing and reading conversations. Every method checks that the caller is a member: a
/// conversation they are not in is reported as not found, so its existence does not leak.
public struct ConversationService: Sendable {
    private let store: any ChatStore
    /// Where conversation ids come from; group creation draws from the same generator, so ids never collide.
    public let ids: IDGenerator

    public init(store: any ChatStore, ids: IDGenerator) {
        self.store = store
        self.ids = ids
    }

    /// The direct conversation between the caller and `otherUserID`, created on first contact. Refused with
    /// ``ChatError/blocked`` when `otherUserID` blocked the caller.
    public func openDirect(callerID: Int64, otherUserID: Int64) async throws -> (view: ConversationView, created: Bool) {
        guard otherUserID != callerID else {
            throw ChatError.validation("cannot open a direct conversation with yourself", field: "userId")
        }
        guard try await store.user(id: otherUserID) != nil else { throw ChatError.notFound("user not found") }
        // Also when the conversation exists already: the blocked user cannot get back into it.
        let blocks = try await store.blockPairs(among: [callerID, otherUserID])
        guard !blocks.contains(BlockPair(blockerID: otherUserID, blockedID: callerID)) else { throw ChatError.blocked }
        let draft = NewConversation(
            id: ids.next(), kind: .direct, title: nil, directKey: NewConversation.directKey(callerID, otherUserID),
            members: [(callerID, .member), (otherUserID, .member)], createdAt: Date())
        let (conversation, created) = try await store.findOrCreateDirectConversation(draft)
        return (ConversationView(conversation: conversation, viewerID: callerID), created)
    }

    public func conversation(id: Int64, callerID: Int64) async throws -> ConversationView {
        guard let conversation = try await store.conversation(id: id, memberID: callerID) else {
            throw ChatError.notFound("conversation not found")
        }
        return ConversationView(conversation: conversation, viewerID: callerID)
    }

    /// The caller's conversations, most recent activity first.
    public func list(callerID: Int64, cursor: String?, limit: Int?) async throws -> Page<ConversationView> {
        let limit = try Validator.limit(limit)
        let after = try cursor.map(ConversationCursor.init(decoding:))
        let rows = try await store.conversations(memberID: callerID, after: after, limit: limit + 1)
        let items = rows.prefix(limit).map { ConversationView(conversation: $0, viewerID: callerID) }
        let hasMore = rows.count > limit
        let next = hasMore ? items.last.map { ConversationCursor(after: $0.conversation).encoded } : nil
        return Page(items: items, hasMore: hasMore, nextCursor: next ?? nil)
    }

    /// Throws not-found unless `callerID` is a member; returns all member ids for delivery.
    public func requireMembership(conversationID: Int64, callerID: Int64) async throws -> [Int64] {
        guard let members = try await store.memberIDs(conversationID: conversationID), members.contains(callerID) else {
            throw ChatError.notFound("conversation not found")
        }
        return members
    }
}
