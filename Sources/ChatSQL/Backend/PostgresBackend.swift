import ChatCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL over postgres-nio's `PostgresClient` pool, running the same SQL as ``SQLiteBackend`` and ``MySQLBackend``.
///
/// Every session runs at READ COMMITTED with `synchronous_commit = on`, set at connection start-up whatever the
/// server's defaults: the store takes a row lock first (the conversation's `UPDATE`) and then reads, and each
/// statement at READ COMMITTED sees what the lock's previous holder committed; a COMMIT returns only once the
/// write-ahead log is flushed, so an acknowledged message survives an OS crash (API.md, "Durability").
public final class PostgresBackend: SQLBackend {
    public let flavor = SQLFlavor.postgres
    /// The pool underneath, for callers that need a connection of their own (LISTEN, say).
    public let client: PostgresClient
    /// What the pool was opened with, so that dedicated connections (LISTEN) are made the same way.
    public let configuration: PostgresClient.Configuration
    private let logger: Logger
    private let runner: Task<Void, Never>
    private let watch = PostgresConnectionWatch()
    private let leaser: PostgresLeaser

    /// Oldest server the schema and queries are tested against.
    static let minimumServerVersion = 12_00_00

    static let sessionParameters: [(String, String)] = [
        ("default_transaction_isolation", "read committed"),
        ("synchronous_commit", "on"),
        ("TimeZone", "UTC"),
        ("application_name", "chatone"),
    ]

    /// Opens a pool for `url` (`postgres://…` or `postgresql://…`) and checks the server once. Fails with a clear
    /// message when the URL is malformed or the server is unreachable, refuses the login or is too old.
    public static func open(url text: String, maximumConnections: Int? = nil, logger: Logger) async throws -> PostgresBackend {
        let url = try PostgresURL(parsing: text)
        let tls: PostgresClient.Configuration.TLS
        do {
            tls = try url.tls()
        } catch {
            throw ChatError.validation("PostgreSQL TLS settings: \(error)", field: "databaseURL")
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
        configuration.options.additionalStartupParameters = sessionParameters
        configuration.options.maximumConnections = maximumConnections ?? url.poolSize
        configuration.options.connectTimeout = .seconds(10)
        // One direct connection first: the pool would retry a refused login until its circuit breaker trips, and
        // then report only that; the operator needs the server's own reason, at once.
        do {
            try await checkServer(url, logger: logger)
        } catch let error as ChatError {
            throw error
        } catch {
            throw DatabaseOpenError(
                "cannot open PostgreSQL database '\(url.database)' at \(url.host):\(url.port): \(Self.describe(error))")
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let backend = PostgresBackend(client: client, configuration: configuration, logger: logger)
        await backend.warnAboutDurability(logger: logger)
        return backend
    }

    private init(client: PostgresClient, configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.leaser = PostgresLeaser(client: client)
        // The pool only hands out connections while `run()` runs; it lives as long as the backend.
        self.runner = Task { await client.run() }
    }

    private static func checkServer(_ url: PostgresURL, logger: Logger) async throws {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: try url.connectionTLS())
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = sessionParameters
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0, logger: logger
        ).get()
        let version: Int?
        do {
            version = try await sql(connection).raw("SELECT current_setting('server_version_num')::int AS version").first(
                decodingColumn: "version", as: Int.self)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        guard let version, version >= Self.minimumServerVersion else {
            throw ChatError.validation("PostgreSQL \(version.map(String.init) ?? "?") is too old: ChatOne needs 12 or newer", field: "databaseURL")
        }
    }

    /// Query logging is off: binds include password and token hashes, which must never reach a log.
    static func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        connection.sql(queryLogLevel: nil)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await withConnection { connection in try await body(Self.sql(connection)) }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// Runs `body` on a pooled connection that is open when it is lent, under ``PostgresConnectionWatch``: should the
    /// connection close while `body` waits on it, this throws ``PostgresConnectionClosed`` rather than waiting for
    /// ever. The lease itself goes through ``PostgresLeaser``, so that waiting for a connection cannot last for ever
    /// either when a leased one dies. For work that needs the connection itself (LISTEN); `body` must not keep it.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var stale = 0
        while true {
            let result: T? = try await leaser.withConnection { [watch] connection in
                // The pool can lend a connection whose close it has not processed yet. Nothing was sent on it: take
                // it back and ask again.
                if connection.isClosed { return nil }
                return try await watch.run(on: connection) { try await body(connection) }
            }
            if let result { return result }
            stale += 1
            guard stale < 5 else { throw PostgresConnectionClosed() }
            logger.debug("the pool lent a closed connection; asking again", metadata: ["attempt": "\(stale)"])
            try await Task.sleep(for: .milliseconds(5 * stale))
        }
    }

    /// A deadlock victim's or serialisation failure's transaction was rolled back whole by the server, so running
    /// it again is safe; PostgreSQL picks victims when two batches lock the same conversations in another order.
    /// So is one whose connection was lost before its body ran. A connection lost during COMMIT throws
    /// ``CommitOutcomeUnknown``: the server may have committed before it went.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        var deadlocks = 0
        var lostBeforeBody = 0
        while true {
            let progress = PostgresTransactionProgress()
            do {
                return try await withConnection { connection in try await Self.runTransaction(on: connection, progress: progress, body) }
            } catch let error as PSQLError where Self.isRetryable(error) && deadlocks < 5 {
                deadlocks += 1
                logger.debug("retrying a transaction after a deadlock", metadata: ["attempt": "\(deadlocks)", "sqlstate": "\(Self.sqlState(error) ?? "")"])
            } catch where Self.isConnectionLoss(error) && progress.phase == .committing {
                logger.warning("connection lost during COMMIT: outcome unknown", metadata: ["error": "\(Self.describe(error))"])
                throw CommitOutcomeUnknown(underlying: Self.mapError(error))
            } catch where Self.isConnectionLoss(error) && progress.phase == .beginning && lostBeforeBody < 3 {
                lostBeforeBody += 1
                logger.debug("retrying a transaction whose connection was lost at BEGIN", metadata: ["error": "\(Self.describe(error))"])
            } catch {
                throw Self.mapError(error)
            }
        }
    }

    private static func runTransaction<T: Sendable>(
        on connection: PostgresConnection, progress: PostgresTransactionProgress, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let db = sql(connection)
        progress.enter(.beginning)
        try await db.raw("BEGIN").run()
        progress.enter(.running)
        let result: T
        do {
            result = try await body(db)
        } catch {
            // A closed connection would never answer the ROLLBACK; its session, and the transaction, are gone anyway.
            if !connection.isClosed { try? await db.raw("ROLLBACK").run() }
            throw error
        }
        progress.enter(.committing)
        try await db.raw("COMMIT").run()
        return result
    }

    /// PostgreSQL runs DDL in transactions, but two processes creating the same table at once still collide in
    /// the catalogue. A session-level advisory lock (scoped to this database) makes them take turns; the second
    /// then finds the work done. The lock is held by one pooled connection for the whole migration.
    public func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await withConnection { connection in
                let db = Self.sql(connection)
                try await db.raw("SELECT pg_advisory_lock(\(bind: Self.migrationLockKey))").run()
                do {
                    let result = try await body()
                    try? await db.raw("SELECT pg_advisory_unlock(\(bind: Self.migrationLockKey))").run()
                    return result
                } catch {
                    try? await db.raw("SELECT pg_advisory_unlock(\(bind: Self.migrationLockKey))").run()
                    throw error
                }
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// An arbitrary constant: advisory lock keys are per database, so this only has to differ from other users'.
    static let migrationLockKey: Int64 = 0x6368_6174_6f6e_65

    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    /// An ERROR-level answer from the server: the statement failed and the session, still alive, rolled back.
    static func isPlainError(_ error: PSQLError) -> Bool {
        error.code == .server && error.serverInfo?[.severity] == "ERROR"
    }

    /// The connection, not the statement, failed: it closed, or the server ended the session (a FATAL answer).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is PostgresConnectionClosed { return true }
        guard let error = error as? PSQLError else { return false }
        return !isPlainError(error)
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = sqlState(error) else { return false }
        return state == "40P01" || state == "40001"
    }

    static func sqlState(_ error: PSQLError) -> String? {
        error.serverInfo?[.sqlState]
    }

    /// The server's message, or the client's reason; never the query or its binds.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    /// Store errors leave as ChatCore's domain errors. The server's detail is kept out of unique and foreign-key
    /// violations: it quotes the offending value, which can be a token hash.
    static func mapError(_ error: any Error) -> any Error {
        if error is PostgresConnectionClosed { return ChatError.internal("database connection failed: \(error)") }
        guard let error = error as? PSQLError else { return error }
        switch sqlState(error) {
        case "23505": return ChatError.conflict("a record with the same key already exists")
        case "23503": return ChatError.notFound("a referenced record does not exist")
        case .some(let state): return ChatError.internal("PostgreSQL error \(state): \(error.serverInfo?[.message] ?? "")")
        case nil: return ChatError.internal("database connection failed: \(describe(error))")
        }
    }
}
