import ChatCore

/// A fixed set of connections lent out one caller at a time, with waiters served in arrival order.
///
/// SQLite connections must not interleave transactions from different tasks, so each caller gets a
/// connection to itself for the length of its work.
///
/// Once ``drainAll(count:)`` begins (shutdown), work already waiting still gets its turn, but a new caller fails at
/// once instead of waiting forever for a connection that will never come back.
actor ConnectionPool<Connection: Sendable> {
    private var idle: [Connection]
    private var waiters: [CheckedContinuation<Connection, Never>] = []
    private var closing = false
    private let waits: ChatMetrics.PoolWaits?

    init(_ connections: [Connection], waits: ChatMetrics.PoolWaits? = nil) {
        precondition(!connections.isEmpty, "a pool needs at least one connection")
        self.idle = connections
        self.waits = waits
    }

    func acquire() async throws -> Connection {
        if closing { throw ChatError.internal("the database is closed") }
        return await take()
    }

    private func take() async -> Connection {
        if let connection = idle.popLast() { return connection }
        let start = ContinuousClock.now
        let connection = await withCheckedContinuation { waiters.append($0) }
        if !closing { waits?.record(.now - start) }
        return connection
    }

    func release(_ connection: Connection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().resume(returning: connection)
        }
    }

    /// Lends a connection to `body` and takes it back whatever happens.
    func withConnection<T: Sendable>(_ body: @Sendable (Connection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Every connection, once all are idle: used to close them at shutdown.
    func drainAll(count: Int) async -> [Connection] {
        closing = true
        var all: [Connection] = []
        for _ in 0..<count { all.append(await take()) }
        return all
    }
}
