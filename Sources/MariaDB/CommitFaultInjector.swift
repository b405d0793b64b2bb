import Synchronization

/// Test-only: makes the next COMMITs of a ``MariaDBClient`` lose their connection on a real server, so that the
/// "commit outcome unknown" path can be tested without a mock. Package access: no application can reach it.
package final class CommitFaultInjector: Sendable {
    /// How the connection is lost.
    package enum Fault: Sendable {
        /// The server kills the session before COMMIT is sent: the server rolls the transaction back, and the
        /// client's COMMIT fails with a lost connection.
        case killedBeforeCommit
        /// COMMIT reaches the server and is executed (its reply arrives), but the connection is cut before the
        /// client reads the reply: committed, yet the client sees a lost connection.
        case replyLost
    }

    private let queue = Mutex<[Fault]>([])

    package init() {}

    /// The next COMMITs, one fault each, in order.
    package func inject(_ faults: Fault...) {
        queue.withLock { $0.append(contentsOf: faults) }
    }

    func next() -> Fault? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}
