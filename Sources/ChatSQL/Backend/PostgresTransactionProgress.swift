import Synchronization

/// How far one PostgreSQL transaction attempt got, read when it fails: a connection lost before the body ran can be
/// retried on another connection, one lost during COMMIT leaves the outcome unknown, one lost in between means the
/// server rolled the transaction back.
final class PostgresTransactionProgress: Sendable {
    enum Phase: Sendable {
        /// Waiting for a connection from the pool.
        case leasing
        /// BEGIN sent: nothing of the transaction has run yet.
        case beginning
        /// The body's statements are running.
        case running
        /// COMMIT sent.
        case committing
    }

    private let current = Mutex(Phase.leasing)

    var phase: Phase {
        current.withLock { $0 }
    }

    func enter(_ phase: Phase) {
        current.withLock { $0 = phase }
    }
}
