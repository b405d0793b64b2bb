/// Users removed from conversations, remembered long enough to keep them out of emits that were already on their
/// way when they were removed. Plain state, owned by ``ConversationDelivery``.
///
/// Anything that reads its audience after a removal has committed never names the removed user, so a revocation
/// only has to outlive the emits begun before it; those finish in milliseconds, and a revocation is dropped after
/// `lifetime`.
struct ConversationRevocations {
    private var revoked: [Int64: [Int64: ContinuousClock.Instant]] = [:]
    let lifetime: Duration

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    mutating func revoke(_ userIDs: [Int64], from conversationID: Int64, now: ContinuousClock.Instant = .now) {
        prune(now: now)
        for userID in userIDs { revoked[conversationID, default: [:]][userID] = now }
    }

    mutating func restore(_ userIDs: [Int64], to conversationID: Int64) {
        for userID in userIDs { revoked[conversationID]?[userID] = nil }
        if revoked[conversationID]?.isEmpty == true { revoked[conversationID] = nil }
    }

    /// `userIDs` without those revoked from the conversation.
    func filter(_ userIDs: [Int64], in conversationID: Int64) -> [Int64] {
        guard let removed = revoked[conversationID] else { return userIDs }
        return userIDs.filter { removed[$0] == nil }
    }

    private mutating func prune(now: ContinuousClock.Instant) {
        for (conversationID, users) in revoked {
            let live = users.filter { now - $0.value < lifetime }
            revoked[conversationID] = live.isEmpty ? nil : live
        }
    }
}
