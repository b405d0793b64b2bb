import ChatCore
import Logging
import MariaDB
import NIOCore
import NIOPosix
import SQLKit

/// MySQL 8 / MariaDB over the MariaDB Connector/C pool, running the same SQL as ``SQLiteBackend``.
///
/// Sessions run at READ COMMITTED: the store takes a row lock first (the conversation's `last_seq` bump, the
/// refresh token's conditional update) and then reads, and each read must see what the lock's previous holder
/// committed; REPEATABLE READ would show a snapshot from before the wait. Times are UTC, strict mode is on,
/// and backslashes in literals mean themselves, as in standard SQL and SQLite.
public final class MySQLBackend: SQLBackend {
    public let flavor = SQLFlavor.mysql
    /// The pool underneath, for callers that want to add it to a `ServiceGroup` or use it directly.
    public let client: MariaDBClient
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup

    /// Oldest servers the schema and queries are tested against: MariaDB 10.5 and MySQL 8.0.
    static let minimumMariaDB = 10_05_00
    static let minimumMySQL = 8_00_00

    static let sessionSetup = [
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SET SESSION time_zone = '+00:00'",
        """
        SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES', 'NO_BACKSLASH_ESCAPES',
                                         'NO_ENGINE_SUBSTITUTION')
        """,
        "SET SESSION default_storage_engine = InnoDB",
    ]

    /// Opens a pool for `url` (`mysql://…` or `mariadb://…`), checks the server once and makes sure the database
    /// stores text as `utf8mb4`. Fails with a clear message when the server is unreachable or too old.
    public static func open(url: String, metrics: ChatMetrics = .disabled, logger: Logger) async throws -> MySQLBackend {
        var configuration: MariaDBConfiguration
        do {
            configuration = try MariaDBConfiguration(url: url)
        } catch let error as MariaDBError {
            throw ChatError.validation(error.message, field: "databaseURL")
        }
        guard configuration.database != nil else {
            throw ChatError.validation("MySQL URL needs a database name: mysql://user:password@host:3306/database", field: "databaseURL")
        }
        // The migration holds its named lock on one pooled connection while it runs its statements on another, so a
        // pool of one would wait for itself at start-up for ever.
        guard configuration.maximumConnections >= 2 else {
            throw ChatError.validation("pool_size must be at least 2 for ChatOne", field: "databaseURL")
        }
        configuration.sessionSetup = sessionSetup
        let waits = metrics.poolWaits("mysql")
        let client = MariaDBClient(configuration: configuration, logger: logger, onPoolWait: { waits.record($0) })
        let backend = MySQLBackend(client: client, logger: logger)
        do {
            try await backend.checkServer()
        } catch let error as MariaDBError {
            await client.shutdown()
            let database = configuration.database ?? ""
            throw DatabaseOpenError(
                "cannot open MySQL database '\(database)' at \(configuration.host):\(configuration.port): "
                    + "\(error.message) (MySQL error \(error.code))")
        } catch {
            await client.shutdown()
            throw error
        }
        await backend.warnAboutDurability(logger: logger)
        return backend
    }

    private init(client: MariaDBClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.eventLoopGroup = MultiThreadedEventLoopGroup.singleton
    }

    /// Errors from here stay MariaDB errors, so that `open` can tell the operator exactly what failed.
    private func checkServer() async throws {
        try await client.withConnection { connection in
                let isMariaDB = connection.serverVersion.lowercased().contains("mariadb")
                let minimum = isMariaDB ? Self.minimumMariaDB : Self.minimumMySQL
                guard connection.serverVersionNumber >= minimum else {
                    throw ChatError.validation(
                        "server \(connection.serverVersion) is too old: ChatOne needs MariaDB 10.5+ or MySQL 8.0+", field: "databaseURL")
                }
                // New tables take the database's default character set; make it utf8mb4 so every text column is.
                let charset = try await connection.query("SELECT @@character_set_database AS cs").rows.first?["cs"]?.string
                if charset != "utf8mb4" {
                    logger.notice("switching the database's default character set to utf8mb4", metadata: ["was": "\(charset ?? "?")"])
                    _ = try await connection.query("ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                }
        }
    }

    private func sql(_ connection: MariaDBConnection) -> any SQLDatabase {
        // Query logging is off: binds include password and token hashes, which must never reach a log.
        connection.sql(logger: logger, queryLogLevel: nil, eventLoop: eventLoopGroup.any())
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await mapErrors {
            try await client.withConnection { connection in try await body(sql(connection)) }
        }
    }

    /// A deadlock victim's transaction was rolled back whole by the server, so running it again is safe; InnoDB
    /// picks victims under heavy contention on the same rows, so a few attempts are normal, not an error.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await client.withTransaction { connection in try await body(sql(connection)) }
            } catch let error as MariaDBError where (error.isDeadlock || error.isLockWaitTimeout) && attempt < 5 {
                attempt += 1
                logger.debug("retrying a transaction after a deadlock", metadata: ["attempt": "\(attempt)", "code": "\(error.code)"])
            } catch let error as MariaDBError where error.isCommitOutcomeUnknown {
                logger.warning("connection lost during COMMIT: outcome unknown", metadata: ["code": "\(error.code)"])
                throw CommitOutcomeUnknown(underlying: Self.mapError(error))
            } catch {
                throw Self.mapError(error)
            }
        }
    }

    /// MySQL runs DDL outside transactions (each statement commits), so two processes migrating at once could
    /// both see a version as pending. A named server lock per database makes them take turns; the second then
    /// finds the work done.
    public func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await mapErrors {
            try await client.withConnection { connection in
                // Lock names are server-wide and at most 64 characters on MySQL; a digest of the database name fits.
                let lockName = "CONCAT('chatone.migrate.', MD5(DATABASE()))"
                try await Self.waitForLock(lockName, on: connection)
                do {
                    let result = try await body()
                    _ = try? await connection.query("SELECT RELEASE_LOCK(\(lockName)) AS released")
                    return result
                } catch {
                    _ = try? await connection.query("SELECT RELEASE_LOCK(\(lockName)) AS released")
                    throw error
                }
            }
        }
    }

    /// Another process's migration of a large database can take minutes. The wait is a series of short `GET_LOCK`s:
    /// one long one would outlast the client's read timeout (60 s by default) and end as a lost connection.
    private static func waitForLock(_ lockName: String, on connection: MariaDBConnection) async throws {
        let step = 5
        var waited = 0
        while true {
            let locked = try await connection.query("SELECT GET_LOCK(\(lockName), \(step)) AS locked").rows.first?["locked"]?.int64
            if locked == 1 { return }
            waited += step
            guard locked == 0, waited < Self.migrationLockWait else {
                throw ChatError.internal("timed out waiting for another process's migration")
            }
        }
    }

    /// Seconds a process waits for another's migration before giving up.
    static let migrationLockWait = 600

    public func shutdown() async {
        // Closed from a fresh task: shutdown often runs in a cancelled one.
        await Task { await client.shutdown() }.value
    }

    private func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Self.mapError(error)
        }
    }

    /// Store errors leave as ChatCore's domain errors. The server's message is kept out of duplicate-key and
    /// foreign-key errors: it quotes the offending value, which can be a token hash.
    static func mapError(_ error: any Error) -> any Error {
        guard let error = error as? MariaDBError else { return error }
        if error.isDuplicateKey { return ChatError.conflict("a record with the same key already exists") }
        if error.isForeignKeyViolation { return ChatError.notFound("a referenced record does not exist") }
        if error.isConnectionLost { return ChatError.internal("database connection failed: MySQL error \(error.code): \(error.message)") }
        return ChatError.internal("MySQL error \(error.code) (\(error.sqlState)): \(error.message)")
    }
}
