import Synchronization

/// Who wins one lease request: the work, once the pool lends a connection, or the timer that withdraws the request.
/// Exactly one of ``start()`` and ``withdraw()`` succeeds, so work never starts on a request that was withdrawn (and
/// whose task is being cancelled), and a request whose work has started is never withdrawn.
final class PostgresLeaseClaim: Sendable {
    private enum State {
        case waiting
        case started
        case withdrawn
    }

    private let state = Mutex(State.waiting)

    /// The pool lent a connection: true if the work may run on it.
    func start() -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .started
            return true
        }
    }

    /// The request waited too long: true if it is withdrawn (the work has not started and now never will).
    func withdraw() -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .withdrawn
            return true
        }
    }

    var isWithdrawn: Bool {
        state.withLock { state in
            if case .withdrawn = state { return true }
            return false
        }
    }
}
