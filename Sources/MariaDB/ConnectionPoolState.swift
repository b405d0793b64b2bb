/// Book-keeping of ``MariaDBClient``'s connections: which are idle, how many exist, who waits.
///
/// It never opens or closes a connection itself (that blocks); it tells the caller to.
actor ConnectionPoolState {
    enum Grant: Sendable {
        case existing(MariaDBConnection)
        /// A slot is reserved for the caller, who must open a connection or call ``openFailed()``.
        case openNew
    }

    private let limit: Int
    private var idle: [MariaDBConnection] = []
    private var open = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Grant, any Error>)] = []
    private var nextWaiterID = 0
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var isShutDown = false

    private let onWait: (@Sendable (Duration) -> Void)?

    init(limit: Int, onWait: (@Sendable (Duration) -> Void)? = nil) {
        self.limit = limit
        self.onWait = onWait
    }

    func acquire() async throws -> Grant {
        guard !isShutDown else { throw MariaDBError.wrapper("the connection pool is shut down") }
        if let connection = idle.popLast() { return .existing(connection) }
        if open < limit {
            open += 1
            return .openNew
        }
        // A caller that is cancelled while waiting leaves the queue at once instead of waiting for a connection.
        let id = nextWaiterID
        nextWaiterID += 1
        let start = ContinuousClock.now
        defer { onWait?(.now - start) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Takes a connection back. Returns it when the caller must close it (broken, or the pool is shutting down);
    /// its slot stays taken until the caller reports it closed with ``closed(_:)``, so shutdown waits for the close.
    func release(_ connection: MariaDBConnection, reusable: Bool) -> MariaDBConnection? {
        if reusable && !isShutDown {
            if waiters.isEmpty {
                idle.append(connection)
            } else {
                waiters.removeFirst().continuation.resume(returning: .existing(connection))
            }
            return nil
        }
        return connection
    }

    func openFailed() {
        slotFreed()
    }

    private func slotFreed() {
        if !waiters.isEmpty && !isShutDown {
            // The slot passes straight to the longest waiter, who opens a replacement.
            waiters.removeFirst().continuation.resume(returning: .openNew)
            return
        }
        open -= 1
        if open == 0 {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters = []
        }
    }

    /// Refuses new work, fails the waiters and hands back the idle connections for closing.
    func beginShutdown() -> [MariaDBConnection] {
        isShutDown = true
        for waiter in waiters { waiter.continuation.resume(throwing: MariaDBError.wrapper("the connection pool is shut down")) }
        waiters = []
        let closing = idle
        idle = []
        return closing
    }

    /// Frees the slots of connections handed out for closing (by ``release(_:reusable:)`` or ``beginShutdown()``).
    func closed(_ count: Int) {
        for _ in 0..<count { slotFreed() }
    }

    /// Returns once every connection lent out has come back.
    func waitUntilDrained() async {
        guard open > 0 else { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }
}
