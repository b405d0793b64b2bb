import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A pool of connections to one MySQL or MariaDB server, shaped like postgres-nio's `PostgresClient`.
///
/// Add it to the application's `ServiceGroup`: `run()` keeps it alive and closes every connection on graceful
/// shutdown. Queries also work before `run()` starts (connections open lazily), which keeps tests and one-off
/// commands simple.
///
/// Every blocking C call runs on the client's own thread pool, one thread per connection: a statement waiting on
/// a row lock then can never starve the statement that would release it, which a small shared pool could.
public final class MariaDBClient: Service, Sendable {
    /// What the pool connects to and how many connections it keeps.
    public let configuration: MariaDBConfiguration
    /// Where pool events (replaced connections) are logged; never statement values.
    public let logger: Logger
    let threadPool: NIOThreadPool
    let eventLoopGroup: any EventLoopGroup
    private let state: ConnectionPoolState
    /// Test-only faults for the next COMMITs (see ``CommitFaultInjector``).
    package let commitFaults = CommitFaultInjector()

    /// - Parameter onPoolWait: told how long each caller that found every connection busy waited for one (metrics).
    public init(
        configuration: MariaDBConfiguration, logger: Logger, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onPoolWait: (@Sendable (Duration) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.threadPool = NIOThreadPool(numberOfThreads: max(configuration.maximumConnections, 1) + 1)
        self.threadPool.start()
        self.state = ConnectionPoolState(limit: max(configuration.maximumConnections, 1), onWait: onPoolWait)
    }

    /// Keeps the pool until graceful shutdown (or cancellation), then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection once the ones lent out come back, and stops the thread pool. Idempotent.
    public func shutdown() async {
        guard await !state.isShutDown else { return }
        let idle = await state.beginShutdown()
        for connection in idle { await connection.close() }
        await state.closed(idle.count)
        await state.waitUntilDrained()
        try? await threadPool.shutdownGracefully()
    }

    // MARK: Leasing

    /// Lends a connection to `body` and takes it back whatever happens.
    ///
    /// When the connection turns out to be dead before `body` got any statement executed (the server restarted or
    /// dropped an idle connection), it is replaced and `body` runs once more on a fresh one: nothing of the first
    /// attempt reached the server. Once a statement was sent, a lost connection is reported, never retried.
    public func withConnection<T>(_ body: (MariaDBConnection) async throws -> T) async throws -> T {
        var retried = false
        while true {
            let connection = try await lease()
            do {
                let result = try await body(connection)
                await giveBack(connection)
                return result
            } catch let error as MariaDBError where error.isConnectionLost && !retried && !connection.hasExecutedSinceLease {
                connection.markBroken()
                await giveBack(connection)
                logger.debug("replacing a lost connection", metadata: ["code": "\(error.code)"])
                retried = true
            } catch {
                await giveBack(connection)
                throw error
            }
        }
    }

    /// Runs `body` inside one transaction on one connection: committed when it returns, rolled back when it throws.
    ///
    /// When the connection is lost during COMMIT the error is ``MariaDBError/isCommitOutcomeUnknown``: the
    /// transaction may have committed. Nothing here retries it.
    public func withTransaction<T>(_ body: (MariaDBConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.beginTransaction()
            let result: T
            do {
                result = try await body(connection)
            } catch {
                try? await connection.rollback()
                throw error
            }
            // A lost connection here surfaces as `isCommitOutcomeUnknown`: the caller settles it by reading.
            try await connection.commit(fault: commitFaults.next())
            return result
        }
    }

    /// Runs one statement on any connection.
    public func query(_ sql: String, _ binds: [MariaDBData] = []) async throws -> MariaDBResult {
        try await withConnection { try await $0.query(sql, binds) }
    }

    private func lease() async throws -> MariaDBConnection {
        while true {
            switch try await state.acquire() {
            case .existing(let connection):
                guard connection.looksAlive else {
                    // Closed by the server while idle: replace it now, before any statement is sent on it.
                    logger.debug("discarding a connection the server closed while it was idle")
                    await giveBack(connection)
                    continue
                }
                connection.markLeased()
                return connection
            case .openNew:
                return try await openLeased()
            }
        }
    }

    private func openLeased() async throws -> MariaDBConnection {
        do {
            let connection = try await MariaDBConnection.connect(configuration, on: threadPool)
            connection.markLeased()
            return connection
        } catch {
            await state.openFailed()
            throw error
        }
    }

    private func giveBack(_ connection: MariaDBConnection) async {
        if let closing = await state.release(connection, reusable: connection.isReusable) {
            await closing.close()
            await state.closed(1)
        }
    }
}
