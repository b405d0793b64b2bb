import NIOCore
import SQLiteNIO
import Synchronization
// The C library SQLiteNIO vendors (not a product of its package, but built and linked with it): the one copy of
// SQLite in the process, so this handle and SQLiteNIO's connections share its file locks.
import VaporCSQLite

/// One libsqlite3 connection with its prepared statements kept for reuse: the same SQL text is parsed once per
/// connection, not once per execution.
///
/// Not `Sendable`: it lives inside a ``SQLiteExecutorThread``'s mutex and is only used on that thread.
final class SQLiteHandle {
    /// A prepared statement and, once known, its result's column names.
    private final class Prepared {
        let statement: OpaquePointer
        var columns: SQLiteColumnNames?

        init(_ statement: OpaquePointer) { self.statement = statement }
    }

    /// Statements kept at most; past it the cache starts again (the store's SQL is a few dozen texts, plus IN lists
    /// and multi-row inserts of varying length).
    private static let cacheLimit = 512
    /// `sqlite3_initialize` is not safe to race with itself; SQLiteNIO guards its own calls the same way.
    private static let initialized = Mutex(false)
    /// SQLite's `SQLITE_TRANSIENT`: it copies bound text and blobs before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private var db: OpaquePointer?
    private var cache: [String: Prepared] = [:]

    /// Opens the database file at `path`, or a private in-memory database for `nil`.
    init(path: String?) throws {
        Self.initialized.withLock { done in
            if !done { sqlite_nio_sqlite3_initialize() }
            done = true
        }
        var handle: OpaquePointer?
        // NOMUTEX: the owning thread's mutex already serialises every use of this connection.
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let result = sqlite_nio_sqlite3_open_v2(path ?? ":memory:", &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0).map { String(cString: $0) } } ?? "cannot open the database"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: result, message: message)
        }
        self.db = handle
    }

    deinit { close() }

    /// Runs one statement with its bound values and returns its rows.
    func query(_ sql: String, _ binds: [SQLiteData]) throws -> [SQLiteResultRow] {
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        let prepared = try statement(for: sql, db: db)
        let statement = prepared.statement
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, value) in binds.enumerated() {
            try check(bind(value, at: Int32(index + 1), to: statement), db: db)
        }
        var rows: [SQLiteResultRow] = []
        while true {
            let step = sqlite_nio_sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw failure(step, db: db) }
            let count = sqlite_nio_sqlite3_column_count(statement)
            let columns: SQLiteColumnNames
            if let known = prepared.columns, known.names.count == Int(count) {
                columns = known
            } else {
                columns = SQLiteColumnNames((0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) })
                prepared.columns = columns
            }
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(of: statement, at: column)) }
            rows.append(SQLiteResultRow(columns: columns, values: values))
        }
    }

    /// Finalizes every statement and closes the connection; later queries fail.
    func close() {
        for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
        cache = [:]
        if let db { sqlite_nio_sqlite3_close(db) }
        db = nil
    }

    private func statement(for sql: String, db: OpaquePointer) throws -> Prepared {
        if let cached = cache[sql] { return cached }
        if cache.count >= Self.cacheLimit {
            for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
            cache = [:]
        }
        var statement: OpaquePointer?
        let result = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw failure(result, db: db) }
        let prepared = Prepared(statement)
        cache[sql] = prepared
        return prepared
    }

    private func bind(_ value: SQLiteData, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let integer):
            return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
        case .float(let double):
            return sqlite_nio_sqlite3_bind_double(statement, index, double)
        case .text(let text):
            var text = text
            return text.withUTF8 { utf8 in
                sqlite_nio_sqlite3_bind_text64(statement, index, utf8.baseAddress, UInt64(utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            }
        case .blob(let blob):
            return blob.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), Self.transient)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func value(of statement: OpaquePointer, at column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(SQLiteInt64(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            // By length, not up to the first NUL: text is whatever was stored.
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private func check(_ result: Int32, db: OpaquePointer) throws {
        guard result == SQLITE_OK else { throw failure(result, db: db) }
    }

    private func failure(_ result: Int32, db: OpaquePointer) -> SQLiteFailure {
        SQLiteFailure(code: result, message: sqlite_nio_sqlite3_errmsg(db).map { String(cString: $0) } ?? "unknown error")
    }
}
