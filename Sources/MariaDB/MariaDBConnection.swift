import CMariaDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOPosix
import Synchronization

/// One session with the server, lent out by ``MariaDBClient`` to one task at a time.
///
/// Every call into the C library blocks, so each runs as a job on the client's thread pool, never on an event loop
/// or a cooperative-pool thread.
///
/// The `MYSQL` handle and the flags beside it live in one `Mutex`, so two threads never use the handle at once even
/// if a caller misuses the connection. The pool additionally lends a connection to one task at a time, so the lock
/// is normally uncontended.
public final class MariaDBConnection: Sendable {
    /// What the lock guards.
    struct Session {
        /// `nil` once closed.
        var handle: UnsafeMutablePointer<MYSQL>?
        /// Set when the server connection is known to be lost; the pool then discards it.
        var broken = false
        /// Whether a statement was sent for execution since the pool lent this connection out; until then a lost
        /// connection is safe to replace and the caller's work safe to run again.
        var executedSinceLease = false
        /// Open prepared statements for reuse.
        var statements = StatementCache()

        /// Closes the handle and its statements, once.
        mutating func close() {
            guard let handle else { return }
            statements.removeAll()
            mysql_close(handle)
            self.handle = nil
        }
    }

    private let session: Mutex<Session>

    private let threadPool: NIOThreadPool
    /// The server's version string, e.g. `10.11.6-MariaDB` or `8.0.36`.
    public let serverVersion: String
    /// Numeric server version, e.g. 101106 for 10.11.6.
    public let serverVersionNumber: Int

    private init(handle: sending UnsafeMutablePointer<MYSQL>, threadPool: NIOThreadPool) {
        self.threadPool = threadPool
        self.serverVersion = mysql_get_server_info(handle).map { String(cString: $0) } ?? ""
        self.serverVersionNumber = Int(mysql_get_server_version(handle))
        self.session = Mutex(Session(handle: handle))
    }

    deinit {
        // Normally closed by the pool; a leaked connection still must not leak its socket.
        session.withLock { $0.close() }
    }

    // MARK: Opening and closing

    /// Connects on `threadPool`, applies the configuration's session set-up and returns the open connection.
    static func connect(_ configuration: MariaDBConfiguration, on threadPool: NIOThreadPool) async throws -> MariaDBConnection {
        try await threadPool.runIfActive {
            try MariaDBLibrary.prepareThread()
            guard let handle = mysql_init(nil) else { throw MariaDBError.wrapper("out of memory creating a connection handle") }
            do {
                try Self.applyOptions(configuration, to: handle)
                let connected = withOptionalCString(configuration.password) { password in
                    withOptionalCString(configuration.database) { database in
                        withOptionalCString(configuration.unixSocket) { socket in
                            // Connector/C takes the socket only for the host `localhost`.
                            let host = configuration.unixSocket == nil ? configuration.host : "localhost"
                            return mysql_real_connect(handle, host, configuration.username, password, database, UInt32(configuration.port), socket, 0)
                        }
                    }
                }
                guard connected != nil else { throw Self.error(handle, phase: .connect) }
                for statement in configuration.sessionSetup {
                    _ = try Self.executeText(handle, statement, phase: .connect)
                }
                return MariaDBConnection(handle: handle, threadPool: threadPool)
            } catch {
                mysql_close(handle)
                throw error
            }
        }
    }

    private static func applyOptions(_ configuration: MariaDBConfiguration, to handle: UnsafeMutablePointer<MYSQL>) throws {
        func set(_ option: mysql_option, _ value: UnsafeRawPointer) throws {
            guard mysql_options(handle, option, value) == 0 else { throw MariaDBError.wrapper("client option \(option.rawValue) rejected") }
        }
        func set(_ option: mysql_option, string: String) throws {
            try string.withCString { try set(option, $0) }
        }
        // utf8mb4 end to end: 4-byte characters (emoji) survive; the server converts nothing.
        try set(MYSQL_SET_CHARSET_NAME, string: "utf8mb4")
        var connectTimeout = configuration.connectTimeout
        try set(MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        var readTimeout = configuration.readTimeout
        try set(MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        var writeTimeout = configuration.writeTimeout
        try set(MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        // Never reconnect behind the pool's back: a silent reconnect would drop session state and open transactions.
        var reconnect: my_bool = 0
        try set(MYSQL_OPT_RECONNECT, &reconnect)
        if let key = configuration.serverPublicKey { try set(MYSQL_SERVER_PUBLIC_KEY, string: key) }

        switch configuration.tlsMode {
        case .disabled:
            break
        case .preferred:
            // Any TLS setting makes the client offer TLS; without enforcement it falls back to plain TCP.
            _ = withOptionalCString(configuration.tlsKey) { key in
                withOptionalCString(configuration.tlsCertificate) { cert in
                    withOptionalCString(configuration.tlsCA) { ca in mysql_ssl_set(handle, key, cert, ca, nil, nil) }
                }
            }
        case .required, .verifyCA, .verifyFull:
            if let ca = configuration.tlsCA { try set(MYSQL_OPT_SSL_CA, string: ca) }
            if let cert = configuration.tlsCertificate { try set(MYSQL_OPT_SSL_CERT, string: cert) }
            if let key = configuration.tlsKey { try set(MYSQL_OPT_SSL_KEY, string: key) }
            var enforce: my_bool = 1
            try set(MYSQL_OPT_SSL_ENFORCE, &enforce)
            // Connector/C checks the chain and the host name together; verify-ca and verify-full both turn it on.
            var verify: my_bool = configuration.tlsMode == .required ? 0 : 1
            try set(MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify)
        }
    }

    /// Closes the session. The connection is unusable afterwards.
    func close() async {
        _ = try? await threadPool.runIfActive { [self] in
            try MariaDBLibrary.prepareThread()
            session.withLock { $0.close() }
        }
    }

    // MARK: State the pool reads

    /// Whether the pool may lend this connection out again.
    var isReusable: Bool {
        session.withLock { session in
            guard let handle = session.handle, !session.broken else { return false }
            // A transaction left open by a caller would leak into the next one: such a connection is dropped instead.
            return handle.pointee.server_status & UInt32(SERVER_STATUS_IN_TRANS) == 0
        }
    }

    var hasExecutedSinceLease: Bool { session.withLock { $0.executedSinceLease } }

    /// Whether an idle connection still looks open, checked without a round trip: between statements the server
    /// sends nothing, so a readable or hung-up socket means it closed the connection (restart, `KILL`, idle
    /// timeout) and the error is waiting there. A non-blocking `poll`, so it is fine off the thread pool.
    var looksAlive: Bool {
        session.withLock { session in
            guard let handle = session.handle, !session.broken else { return false }
            var descriptor = pollfd(fd: Int32(mysql_get_socket(handle)), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 0)
            if ready == 0 { return true }
            session.broken = true
            return false
        }
    }

    func markLeased() { session.withLock { $0.executedSinceLease = false } }

    func markBroken() { session.withLock { $0.broken = true } }

    // MARK: Running statements

    /// Runs one statement as a server-side prepared statement with `binds` for its `?` placeholders.
    public func query(_ sql: String, _ binds: [MariaDBData] = []) async throws -> MariaDBResult {
        try await withHandle { handle, session in
            try Self.executePrepared(handle, sql, binds, cache: &session.statements, onExecute: { session.executedSinceLease = true })
        }
    }

    /// Checks that the server still answers.
    public func ping() async throws {
        try await withHandle { handle, _ in
            guard mysql_ping(handle) == 0 else { throw Self.error(handle, phase: .prepare) }
        }
    }

    /// Starts a transaction. Nothing has run yet if this fails, so it does not count as executed work.
    public func beginTransaction() async throws {
        try await withHandle { handle, _ in _ = try Self.executeText(handle, "START TRANSACTION", phase: .prepare) }
    }

    /// Commits the open transaction. If the connection drops here, whether it committed is unknown: the error is
    /// then ``MariaDBError/isCommitOutcomeUnknown``.
    public func commit() async throws {
        try await commit(fault: nil)
    }

    func commit(fault: CommitFaultInjector.Fault?) async throws {
        try await withHandle { handle, session in
            session.executedSinceLease = true
            switch fault {
            case nil:
                _ = try Self.executeText(handle, "COMMIT", phase: .commit)
            case .killedBeforeCommit:
                // The session kills itself: the server rolls the transaction back and drops the connection.
                _ = try? Self.executeText(handle, "KILL \(mysql_thread_id(handle))", phase: .execute)
                _ = try Self.executeText(handle, "COMMIT", phase: .commit)
            case .replyLost:
                try Self.commitLosingReply(handle)
            }
        }
    }

    /// Sends COMMIT, waits until its reply has arrived (so the server has committed), then swaps the socket for a
    /// closed one before the library reads the reply: the library reports a lost connection.
    private static func commitLosingReply(_ handle: UnsafeMutablePointer<MYSQL>) throws {
        let sent = "COMMIT".withCString { mysql_send_query(handle, $0, UInt(strlen($0))) }
        guard sent == 0 else { throw error(handle, phase: .commit) }
        let socket = Int32(mysql_get_socket(handle))
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, 5000)
        var pair: [Int32] = [0, 0]
        #if canImport(Glibc)
        let streamType = Int32(SOCK_STREAM.rawValue)
        #else
        let streamType = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, streamType, 0, &pair) == 0 else { throw MariaDBError.wrapper("socketpair failed") }
        _ = dup2(pair[0], socket)
        _ = Glibc.close(pair[0])
        _ = Glibc.close(pair[1])
        guard mysql_read_query_result(handle) != 0 else { return }
        throw error(handle, phase: .commit)
    }

    /// Rolls back; if even that fails the session state is unknown and the connection is discarded.
    public func rollback() async throws {
        do {
            try await withHandle { handle, _ in _ = try Self.executeText(handle, "ROLLBACK", phase: .transaction) }
        } catch {
            markBroken()
            throw error
        }
    }

    /// Runs `body` with the handle under the lock on a thread-pool thread. Marks the connection broken when the
    /// server connection turns out to be lost. `body` may set the guarded flags through its second argument.
    private func withHandle<T: Sendable>(
        _ body: @escaping @Sendable (UnsafeMutablePointer<MYSQL>, inout Session) throws -> T
    ) async throws -> T {
        try await threadPool.runIfActive { [self] in
            try MariaDBLibrary.prepareThread()
            return try session.withLock { session in
                guard let handle = session.handle, !session.broken else {
                    throw MariaDBError(code: 2006, sqlState: "HY000", message: "connection is closed", phase: .prepare)
                }
                do {
                    return try body(handle, &session)
                } catch let error as MariaDBError where error.isConnectionLost {
                    session.broken = true
                    throw error
                }
            }
        }
    }

    // MARK: C calls (run with the lock held, on a pool thread)

    static func error(_ handle: UnsafeMutablePointer<MYSQL>, phase: MariaDBError.Phase) -> MariaDBError {
        MariaDBError(
            code: mysql_errno(handle), sqlState: mysql_sqlstate(handle).map { String(cString: $0) } ?? "HY000",
            message: mysql_error(handle).map { String(cString: $0) } ?? "unknown error", phase: phase)
    }

    static func error(_ statement: UnsafeMutablePointer<MYSQL_STMT>, phase: MariaDBError.Phase) -> MariaDBError {
        MariaDBError(
            code: mysql_stmt_errno(statement), sqlState: mysql_stmt_sqlstate(statement).map { String(cString: $0) } ?? "HY000",
            message: mysql_stmt_error(statement).map { String(cString: $0) } ?? "unknown error", phase: phase)
    }

    /// Prepares `sql` (or reuses the connection's cached statement for it), binds, executes and reads all rows.
    private static func executePrepared(
        _ handle: UnsafeMutablePointer<MYSQL>, _ sql: String, _ binds: [MariaDBData], cache: inout StatementCache, onExecute: () -> Void
    ) throws -> MariaDBResult {
        if let cached = cache.take(sql) {
            do {
                let result = try execute(cached, handle, binds, onExecute: onExecute)
                cache.put(sql, cached)
                return result
            } catch let error as MariaDBError where error.code == 1615 || (error.code == 2057 && isReadOnly(sql)) {
                // The tables changed under the cached statement: ER_NEED_REPREPARE (nothing ran), or
                // CR_NEW_STMT_METADATA (a query ran but returned other columns; running a read again is harmless).
                // Prepare it afresh below.
                mysql_stmt_close(cached)
            } catch {
                // A failed statement may be left in an odd state; it is not reused.
                mysql_stmt_close(cached)
                throw error
            }
        }
        guard let statement = mysql_stmt_init(handle) else { throw error(handle, phase: .prepare) }
        let prepared = sql.withCString { mysql_stmt_prepare(statement, $0, UInt(strlen($0))) }
        if prepared != 0 {
            let failure = error(statement, phase: .prepare)
            mysql_stmt_close(statement)
            // ER_UNSUPPORTED_PS: a few statements cannot be prepared. Without values there is nothing to bind, so the
            // text protocol carries exactly the same fixed SQL.
            if failure.code == 1295 && binds.isEmpty {
                onExecute()
                return try executeText(handle, sql, phase: .execute)
            }
            throw failure
        }
        var updateMaxLength: my_bool = 1
        _ = mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        do {
            let result = try execute(statement, handle, binds, onExecute: onExecute)
            cache.put(sql, statement)
            return result
        } catch {
            mysql_stmt_close(statement)
            throw error
        }
    }

    /// Statements that only read, so running them twice changes nothing.
    private static func isReadOnly(_ sql: String) -> Bool {
        let head = sql.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "(" }.prefix(6).uppercased()
        return head.hasPrefix("SELECT") || head.hasPrefix("SHOW") || head.hasPrefix("WITH")
    }

    private static func execute(
        _ statement: UnsafeMutablePointer<MYSQL_STMT>, _ handle: UnsafeMutablePointer<MYSQL>, _ binds: [MariaDBData], onExecute: () -> Void
    ) throws -> MariaDBResult {
        let placeholders = Int(mysql_stmt_param_count(statement))
        guard placeholders == binds.count else {
            throw MariaDBError.wrapper("statement has \(placeholders) placeholders but \(binds.count) values were bound")
        }
        let parameters = ParameterBuffers(binds)
        defer { parameters.deallocate() }
        if placeholders > 0, mysql_stmt_bind_param(statement, parameters.binds) != 0 {
            throw error(statement, phase: .client)
        }
        onExecute()
        guard mysql_stmt_execute(statement) == 0 else { throw error(statement, phase: .execute) }

        let fieldCount = Int(mysql_stmt_field_count(statement))
        guard fieldCount > 0 else {
            return MariaDBResult(
                columns: MariaDBColumns([]), rows: [], affectedRows: mysql_stmt_affected_rows(statement),
                lastInsertID: mysql_stmt_insert_id(statement))
        }
        // Buffering the whole result lets max_length size the column buffers and frees the connection at once.
        guard mysql_stmt_store_result(statement) == 0 else { throw error(statement, phase: .execute) }
        defer { mysql_stmt_free_result(statement) }
        guard let fields = mariadb_stmt_fetch_fields(statement) else { throw error(statement, phase: .execute) }
        let results = ResultBuffers(fields: fields, count: fieldCount)
        defer { results.deallocate() }
        guard mysql_stmt_bind_result(statement, results.binds) == 0 else { throw error(statement, phase: .execute) }
        var rows: [MariaDBRow] = []
        rows.reserveCapacity(Int(mysql_stmt_num_rows(statement)))
        fetching: while true {
            switch mysql_stmt_fetch(statement) {
            case 0, MYSQL_DATA_TRUNCATED:
                rows.append(MariaDBRow(columns: results.columns, values: try results.currentRow(statement)))
            case MYSQL_NO_DATA:
                break fetching
            default:
                throw error(statement, phase: .execute)
            }
        }
        return MariaDBResult(columns: results.columns, rows: rows, affectedRows: 0, lastInsertID: 0)
    }

    /// The text protocol, for fixed statements without values only (transaction control, session set-up).
    static func executeText(_ handle: UnsafeMutablePointer<MYSQL>, _ sql: String, phase: MariaDBError.Phase) throws -> MariaDBResult {
        let status = sql.withCString { mysql_real_query(handle, $0, UInt(strlen($0))) }
        guard status == 0 else { throw error(handle, phase: phase) }
        var result = MariaDBResult(columns: MariaDBColumns([]), rows: [], affectedRows: 0, lastInsertID: 0)
        guard let stored = mysql_store_result(handle) else {
            guard mysql_field_count(handle) == 0 else { throw error(handle, phase: phase) }
            result.affectedRows = mysql_affected_rows(handle)
            result.lastInsertID = mysql_insert_id(handle)
            return result
        }
        defer { mysql_free_result(stored) }
        let count = Int(mysql_num_fields(stored))
        guard let fields = mysql_fetch_fields(stored) else { return result }
        let kinds = (0..<count).map { ColumnKind(fields[$0]) }
        result.columns = MariaDBColumns((0..<count).map { String(cString: fields[$0].name) })
        while let row = mysql_fetch_row(stored), let lengths = mysql_fetch_lengths(stored) {
            var values: [MariaDBData] = []
            for column in 0..<count {
                guard let pointer = row[column] else {
                    values.append(.null)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(lengths[column]))
                values.append(kinds[column].decodeText(bytes))
            }
            result.rows.append(MariaDBRow(columns: result.columns, values: values))
        }
        return result
    }
}

/// Calls `body` with a C string for `value`, or `nil`.
func withOptionalCString<T>(_ value: String?, _ body: (UnsafePointer<CChar>?) throws -> T) rethrows -> T {
    guard let value else { return try body(nil) }
    return try value.withCString { try body($0) }
}
