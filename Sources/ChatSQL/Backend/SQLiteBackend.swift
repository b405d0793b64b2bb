import ChatCore
import Logging
import NIOPosix
import SQLKit
import SQLiteKit

/// SQLite in WAL mode: one writer connection (SQLite allows one writer at a time anyway, and serialising here
/// avoids busy retries) and a few reader connections that never block on it. No libsqlite3 call runs on an event
/// loop: the writer has a thread of its own (``SQLiteExecutorThread``), on which each write transaction runs whole,
/// with its statements prepared once and reused; readers run on NIO's thread pool.
public final class SQLiteBackend: SQLBackend {
    public let flavor = SQLFlavor.sqlite
    private let writer: ConnectionPool<SQLiteExecutorThread>
    private let readers: ConnectionPool<SQLiteConnection>?
    private let readerCount: Int
    /// Checkpoints the WAL off the writer's thread (a file database only).
    private let checkpointer: SQLiteCheckpointer?
    private let logger: Logger

    /// Opens the database at `path`, or a private in-memory one for `nil`.
    ///
    /// - Parameter synchronous: `.full` (the default) syncs the WAL at every commit, so an acknowledged write
    ///   survives an OS crash or power loss; `.normal` syncs only at checkpoints (see docs/operations.md).
    public static func open(
        path: String?, readers readerCount: Int = 4, synchronous: SQLiteSynchronous = .full, metrics: ChatMetrics = .disabled,
        logger: Logger
    ) async throws -> SQLiteBackend {
        let writer = try SQLiteExecutorThread(path: path, name: "chatone-sqlite-writer")
        do {
            try await configure(SQLiteThreadDatabase(thread: writer, logger: logger), isWriter: true, synchronous: synchronous)
        } catch {
            writer.stop()
            throw error
        }
        if synchronous != .full, path != nil {
            logger.warning(
                "SQLite synchronous=\(synchronous.pragmaValue): acknowledged messages can be lost on an OS crash or power loss")
        }
        // An in-memory database is private to its connection, so there it is shared for reads too.
        guard let path else { return SQLiteBackend(writer: writer, readers: [], metrics: metrics, logger: logger) }
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            let reader = try await openConnection(.file(path: path), logger: logger)
            try await configure(sql(reader), isWriter: false, synchronous: synchronous)
            readers.append(reader)
        }
        let checkpoints = try await openConnection(.file(path: path), logger: logger)
        try await configure(sql(checkpoints), isWriter: false, synchronous: synchronous)
        try await SQLiteThreadDatabase(thread: writer, logger: logger)
            .raw("PRAGMA wal_autocheckpoint = \(unsafeRaw: String(SQLiteCheckpointer.writerBackstopPages))").run()
        return SQLiteBackend(
            writer: writer, readers: readers, checkpointer: SQLiteCheckpointer(connection: checkpoints, logger: logger), metrics: metrics,
            logger: logger)
    }

    private init(
        writer: SQLiteExecutorThread, readers: [SQLiteConnection], checkpointer: SQLiteCheckpointer? = nil, metrics: ChatMetrics, logger: Logger
    ) {
        self.checkpointer = checkpointer
        self.writer = ConnectionPool([writer], waits: metrics.poolWaits("sqlite_writer"))
        self.readers = readers.isEmpty ? nil : ConnectionPool(readers, waits: metrics.poolWaits("sqlite_readers"))
        self.readerCount = readers.count
        self.logger = logger
    }

    private static func openConnection(_ storage: SQLiteConnection.Storage, logger: Logger) async throws -> SQLiteConnection {
        try await SQLiteConnection.open(
            storage: storage, threadPool: .singleton, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
    }

    private static func configure(_ db: any SQLDatabase, isWriter: Bool, synchronous: SQLiteSynchronous) async throws {
        if isWriter { try await db.raw("PRAGMA journal_mode = WAL").run() }
        try await db.raw("PRAGMA foreign_keys = ON").run()
        // Another process (say `chatone migrate`) may hold the write lock briefly; wait rather than fail.
        try await db.raw("PRAGMA busy_timeout = 5000").run()
        // FULL syncs the WAL at every commit: the ack of a message waits for stable storage (API.md, "Durability").
        // The group commit of MessageAppender pays that sync once per batch. NORMAL survives only process crashes.
        try await db.raw("PRAGMA synchronous = \(unsafeRaw: synchronous.pragmaValue)").run()
        // A batch's multi-row INSERT fires the FTS triggers, so SQLite keeps a statement journal for it; past 64 KiB
        // that journal spilled to a temporary file, a pwrite per page: 4% of the server's CPU at 12,000 msg/s
        // (docs/performance.md, "P1: CPU per message"). It only serves rolling back one statement inside a
        // transaction, never crash recovery (the WAL does that), so memory is the right place for it.
        try await db.raw("PRAGMA temp_store = MEMORY").run()
    }

    /// Query logging is off: binds include password and token hashes, which must never reach a log.
    private static func sql(_ connection: SQLiteConnection) -> any SQLDatabase {
        connection.sql(queryLogLevel: nil)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard let readers else {
            return try await onWriter { db in try await body(db) }
        }
        return try await readers.withConnection { try await body(Self.sql($0)) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await onWriter { db in
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

    /// Runs `body` on the writer's own thread, which it has to itself until it returns: its statements run there
    /// one after the other with no thread hop between them.
    private func onWriter<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await writer.withConnection { thread in
            try await withTaskExecutorPreference(thread) {
                try await body(SQLiteThreadDatabase(thread: thread, logger: logger))
            }
        }
    }

    public func shutdown() async {
        await checkpointer?.stop()
        let threads = await writer.drainAll(count: 1)
        var connections: [SQLiteConnection] = []
        if let readers { connections = await readers.drainAll(count: readerCount) }
        for thread in threads { thread.stop() }
        // Closed from a fresh task: shutdown often runs in a cancelled one, and a cancelled close would leave
        // the handle open (sqlite-nio asserts on that).
        await Task {
            for connection in connections { try? await connection.close() }
        }.value
    }
}
