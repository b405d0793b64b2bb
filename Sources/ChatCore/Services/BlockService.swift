import Foundation

/// Blocking (API.md, "Blocking"). While A blocks B, B cannot open or write in a direct conversation with A nor add
/// A to a group (``ConversationService``, the store's append and ``GroupService`` refuse with
/// ``ChatError/blocked``), and neither sees the other's presence (``hiddenPresence(viewerID:among:)``, and the
/// store leaves each out of the other's presence audience). Blocks are private: only the blocker can list them.
public struct BlockService: Sendable {
    private let store: any ChatStore

    public init(store: any ChatStore) {
        self.store = store
    }

    /// Blocks `userID` for the caller. Idempotent; blocking oneself is a validation error, an unknown user not found.
    public func block(callerID: Int64, userID: Int64) async throws {
        guard userID != callerID else { throw ChatError.validation("cannot block yourself", field: "userId") }
        guard try await store.user(id: userID) != nil else { throw ChatError.notFound("user not found") }
        try await store.setBlocked(blockerID: callerID, blockedID: userID, true, at: Date())
    }

    /// Lifts the caller's block of `userID`. Idempotent; an unknown user is not found.
    public func unblock(callerID: Int64, userID: Int64) async throws {
        guard userID != callerID else { throw ChatError.validation("cannot block yourself", field: "userId") }
        guard try await store.user(id: userID) != nil else { throw ChatError.notFound("user not found") }
        try await store.setBlocked(blockerID: callerID, blockedID: userID, false, at: Date())
    }

    /// The users the caller blocked, newest block first.
    public func list(callerID: Int64, cursor: String?, limit: Int?) async throws -> Page<BlockedUser> {
        let limit = try Validator.limit(limit)
        let after = try cursor.map(BlockCursor.init(decoding:))
        let rows = try await store.blockedUsers(blockerID: callerID, after: after, limit: limit + 1)
        let items = Array(rows.prefix(limit))
        let hasMore = rows.count > limit
        let next = hasMore ? items.last.map { BlockCursor(blockedAtMillis: $0.blockedAt.millisSince1970, userID: $0.user.id).encoded } : nil
        return Page(items: items, hasMore: hasMore, nextCursor: next)
    }

    /// Of `userIDs`, those whose presence `viewerID` must not see: everyone on the other side of a block with them.
    public func hiddenPresence(viewerID: Int64, among userIDs: [Int64]) async throws -> Set<Int64> {
        let others = userIDs.filter { $0 != viewerID }
        guard !others.isEmpty else { return [] }
        var hidden: Set<Int64> = []
        for pair in try await store.blockPairs(among: [viewerID] + others) {
            if pair.blockerID == viewerID { hidden.insert(pair.blockedID) }
            if pair.blockedID == viewerID { hidden.insert(pair.blockerID) }
        }
        return hidden
    }

    /// Every block between two of `userIDs`: for views of one conversation that many members receive at once.
    public func pairs(among userIDs: [Int64]) async throws -> [BlockPair] {
        try await store.blockPairs(among: userIDs)
    }
}

extension Date {
    /// Whole milliseconds since 1970, the unit the store keeps times in.
    var millisSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
