/// An error from the server or the client library, with MySQL's error number and SQLSTATE.
///
/// The message is the server's text, which can quote values of the failing statement (a duplicate key, say):
/// log it with care and never send it to an API client.
public struct MariaDBError: Error, Sendable, CustomStringConvertible {
    /// Where in a statement's life the error happened; decides whether a retry is safe.
    public enum Phase: Sendable {
        case connect
        /// Preparing a statement: nothing was executed, so a retry on another connection is always safe.
        case prepare
        /// Executing or fetching: the server may have run the statement.
        case execute
        /// COMMIT: if the connection is lost here, whether the transaction committed is unknown.
        case commit
        case transaction
        case client
    }

    /// MySQL/MariaDB error number (`ER_*` from the server, `CR_*` from the client library), 0 for wrapper errors.
    public var code: UInt32
    /// The five-character SQLSTATE.
    public var sqlState: String
    /// The server's or library's message.
    public var message: String
    /// Where the error happened, see ``Phase``.
    public var phase: Phase

    public init(code: UInt32, sqlState: String = "HY000", message: String, phase: Phase) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.phase = phase
    }

    public var description: String { "MariaDB error \(code) (\(sqlState)) during \(phase): \(message)" }

    /// A unique or primary key already holds this value (`ER_DUP_ENTRY`, `ER_DUP_ENTRY_WITH_KEY_NAME`).
    public var isDuplicateKey: Bool { code == 1062 || code == 1586 }
    /// The server rolled the transaction back to break a deadlock or a lock wait ran out; running the whole
    /// transaction again is safe.
    public var isDeadlock: Bool { code == 1213 }
    /// A row lock was not granted within `innodb_lock_wait_timeout`.
    public var isLockWaitTimeout: Bool { code == 1205 }
    /// A foreign key refused the row (`ER_NO_REFERENCED_ROW*`, `ER_ROW_IS_REFERENCED*`).
    public var isForeignKeyViolation: Bool { [1216, 1217, 1451, 1452].contains(code) }
    /// Bad SQL (syntax, unknown table or column): a programming error, never worth retrying.
    public var isSyntaxError: Bool { [1054, 1064, 1146, 1149].contains(code) }

    /// The connection is unusable: it is closed and replaced, never handed out again.
    public var isConnectionLost: Bool {
        switch code {
        case 2002, 2003, 2005, 2006, 2013, 2026, 2055: true  // CR_*: cannot connect, gone away, lost, TLS failed
        case 1927, 4031: true  // server killed the connection / closed it for inactivity
        case 1053: true  // ER_SERVER_SHUTDOWN
        default: false
        }
    }

    /// The connection was lost during COMMIT: the server may or may not have committed. Never run the
    /// transaction again blindly; read what is stored (on another connection) to settle it.
    public var isCommitOutcomeUnknown: Bool { phase == .commit && isConnectionLost }

    static func wrapper(_ message: String) -> MariaDBError {
        MariaDBError(code: 0, message: message, phase: .client)
    }
}
