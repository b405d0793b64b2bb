import ChatCore
import Logging
import NIOPosix
import SQLKit
import SQLiteKit

/// SQLite in WAL mode: one writer connection (SQLite allows one writer at a time anyway, and serialising here
/// avoids busy retries) and a few reader connections that never block on it. Every libsqlite3 call runs on
/// NIO's thread pool, never on an event loop.
public final class SQLiteBackend: SQLBackend {
    public let flavor = SQLFlavor.sqlite
    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    private let readerCount: Int
    private let sharesWriter: Bool

    /// Opens the database at `path`, or a private in-memory one for `nil`.
    ///
    /// - Parameter synchronous: `.full` (the default) syncs the WAL at every commit, so an acknowledged write
    ///   survives an OS crash or power loss; `.normal` syncs only at checkpoints (see docs/operations.md).
    public static func open(
        path: String?, readers readerCount: Int = 4, synchronous: SQLiteSynchronous = .full, metrics: ChatMetrics = .disabled,
        logger: Logger
    ) async throws -> SQLiteBackend {
        let storage: SQLiteConnection.Storage = path.map { .file(path: $0) } ?? .memory
        let writer = try await openConnection(storage, logger: logger)
        try await configure(writer, isWriter: true, synchronous: synchronous)
        if synchronous != .full, path != nil {
            logger.warning(
                "SQLite synchronous=\(synchronous.pragmaValue): acknowledged messages can be lost on an OS crash or power loss")
        }
        // An in-memory database is private to its connection, so there it is shared for reads too.
        guard path != nil else { return SQLiteBackend(writer: writer, readers: [], metrics: metrics, logger: logger) }
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            let reader = try await openConnection(storage, logger: logger)
            try await configure(reader, isWriter: false, synchronous: synchronous)
            readers.append(reader)
        }
        return SQLiteBackend(writer: writer, readers: readers, metrics: metrics, logger: logger)
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], metrics: ChatMetrics, logger: Logger) {
        self.writer = ConnectionPool([writer], waits: metrics.poolWaits("sqlite_writer"))
        self.sharesWriter = readers.isEmpty
        self.readers = sharesWriter ? self.writer : ConnectionPool(readers, waits: metrics.poolWaits("sqlite_readers"))
        self.readerCount = readers.count
    }

    private static func openConnection(_ storage: SQLiteConnection.Storage, logger: Logger) async throws -> SQLiteConnection {
        try await SQLiteConnection.open(
            storage: storage, threadPool: .singleton, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
    }

    private static func configure(_ connection: SQLiteConnection, isWriter: Bool, synchronous: SQLiteSynchronous) async throws {
        let db = sql(connection)
        if isWriter { try await db.raw("PRAGMA journal_mode = WAL").run() }
        try await db.raw("PRAGMA foreign_keys = ON").run()
        // Another process (say `chatone migrate`) may hold the write lock briefly; wait rather than fail.
        try await db.raw("PRAGMA busy_timeout = 5000").run()
        // FULL syncs the WAL at every commit: the ack of a message waits for stable storage (API.md, "Durability").
        // The group commit of MessageAppender pays that sync once per batch. NORMAL survives only process crashes.
        try await db.raw("PRAGMA synchronous = \(unsafeRaw: synchronous.pragmaValue)").run()
    }

    /// Query logging is off: binds include password and token hashes, which must never reach a log.
    private static func sql(_ connection: SQLiteConnection) -> any SQLDatabase {
        connection.sql(queryLogLevel: nil)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.withConnection { try await body(Self.sql($0)) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.withConnection { connection in
            let db = Self.sql(connection)
            // IMMEDIATE takes the write lock up front, so a transaction never fails half-way on a lock upgrade.
            try await db.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func shutdown() async {
        var connections = await writer.drainAll(count: 1)
        if !sharesWriter { connections += await readers.drainAll(count: readerCount) }
        // Closed from a fresh task: shutdown often runs in a cancelled one, and a cancelled close would leave
        // the handle open (sqlite-nio asserts on that).
        await Task {
            for connection in connections { try? await connection.close() }
        }.value
    }
}
