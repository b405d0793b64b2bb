import PostgresNIO
import Synchronization

/// Ends the wait for work on a pooled PostgreSQL connection once that connection has closed, instead of letting the
/// caller wait for ever.
///
/// postgres-nio (1.33) does not answer a statement that reaches a connection after its channel has closed: the
/// write is dropped and the statement's future is never completed (not even failed). `PostgresClient`'s pool can
/// lend out a connection whose close it has not processed yet (released just after its session was killed, say),
/// and a connection can close between two statements of a transaction (the ROLLBACK after a failed one). Either way
/// the caller, the message appender among them, would never return. So every piece of work ChatOne runs on a
/// pooled connection runs through ``run(on:_:)``: when the connection closes and the work has not ended ``grace``
/// later, the caller gets ``PostgresConnectionClosed``. The abandoned work stays suspended (nothing can resume it),
/// but nobody waits for it any more.
///
/// One close callback per connection, however many pieces of work run on it: a channel's close future keeps its
/// callbacks until it completes, so one per piece of work would grow without bound on a long-lived connection.
final class PostgresConnectionWatch: Sendable {
    /// How long work may still end by itself after its connection closed: postgres-nio fails the statements it
    /// knows about while it handles the close, and its error (the server's FATAL message, say) says more than ours.
    let grace: Duration

    private struct State {
        /// Per open connection: what to call when it closes, by token.
        var waiters: [PostgresConnection.ID: [UInt64: @Sendable () -> Void]] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    init(grace: Duration = .milliseconds(200)) {
        self.grace = grace
    }

    /// Runs `work` (which uses `connection`) and returns its result, or throws ``PostgresConnectionClosed`` once
    /// `connection` has closed and `work` has not ended ``grace`` later. Cancelling the caller cancels `work`.
    func run<T: Sendable>(on connection: PostgresConnection, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.start(continuation)
                let token = watch(connection) { outcome.finish(.failure(PostgresConnectionClosed())) }
                outcome.attach(
                    Task {
                        let result: Result<T, any Error>
                        do {
                            result = .success(try await work())
                        } catch {
                            result = .failure(error)
                        }
                        self.unwatch(connection.id, token: token)
                        outcome.finish(result)
                    })
            }
        } onCancel: {
            outcome.cancel()
        }
    }

    /// Number of connections currently watched (open connections that ran work through the watch).
    var watchedConnections: Int {
        state.withLock { $0.waiters.count }
    }

    private func watch(_ connection: PostgresConnection, _ waiter: @escaping @Sendable () -> Void) -> UInt64 {
        let id = connection.id
        let (token, firstWaiter) = state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            let first = state.waiters[id] == nil
            state.waiters[id, default: [:]][token] = waiter
            return (token, first)
        }
        // An entry exists only while its close callback has not run (the callback removes it), so a connection
        // that already closed gets a new callback, which a completed future runs at once.
        if firstWaiter {
            connection.closeFuture.whenComplete { _ in self.closed(id) }
        }
        return token
    }

    private func unwatch(_ id: PostgresConnection.ID, token: UInt64) {
        state.withLock { _ = $0.waiters[id]?.removeValue(forKey: token) }
    }

    private func closed(_ id: PostgresConnection.ID) {
        guard let waiters = state.withLock({ $0.waiters.removeValue(forKey: id) }), !waiters.isEmpty else { return }
        Task { [grace] in
            try? await Task.sleep(for: grace)
            for waiter in waiters.values { waiter() }
        }
    }

    /// The caller's side of one piece of work: resumed once, by the work's end or by its connection's close.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var task: Task<Void, Never>?
            var cancelled = false
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        func attach(_ task: Task<Void, Never>) {
            let cancelled = state.withLock { state in
                state.task = task
                return state.cancelled
            }
            if cancelled { task.cancel() }
        }

        func cancel() {
            state.withLock { state in
                state.cancelled = true
                return state.task
            }?.cancel()
        }

        func finish(_ result: Result<T, any Error>) {
            let continuation = state.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(with: result)
        }
    }
}
