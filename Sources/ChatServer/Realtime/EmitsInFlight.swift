/// The emits under way per conversation, so that a revocation can wait for exactly those begun before it.
/// Plain state, owned by ``ConversationDelivery``.
struct EmitsInFlight {
    private struct Waiter {
        var pending: Set<Int>
        var continuation: CheckedContinuation<Void, Never>
    }

    private var running: [Int64: Set<Int>] = [:]
    private var waiters: [Int64: [Waiter]] = [:]
    private var nextID = 0

    /// Marks an emit in the conversation as begun; pass the result to ``end(_:in:)``.
    mutating func begin(in conversationID: Int64) -> Int {
        nextID &+= 1
        running[conversationID, default: []].insert(nextID)
        return nextID
    }

    mutating func end(_ id: Int, in conversationID: Int64) {
        running[conversationID]?.remove(id)
        if running[conversationID]?.isEmpty == true { running[conversationID] = nil }
        guard var list = waiters[conversationID] else { return }
        for index in list.indices { list[index].pending.remove(id) }
        for waiter in list where waiter.pending.isEmpty { waiter.continuation.resume() }
        list.removeAll { $0.pending.isEmpty }
        waiters[conversationID] = list.isEmpty ? nil : list
    }

    /// The emits of the conversation under way now.
    func running(in conversationID: Int64) -> Set<Int> { running[conversationID] ?? [] }

    /// Resumes `continuation` once every emit in `pending` has ended.
    mutating func wait(for pending: Set<Int>, in conversationID: Int64, _ continuation: CheckedContinuation<Void, Never>) {
        guard !pending.isEmpty else { return continuation.resume() }
        waiters[conversationID, default: []].append(Waiter(pending: pending, continuation: continuation))
    }
}
