import ChatSQL
import Foundation
import Logging
import Testing

/// The databases a suite runs on, one test case each: pass ``all`` (or ``servers``) as a parameterised test's
/// `arguments`, and open a fresh database for the case with ``withDatabaseURL(_:)``, ``withStore(_:)`` or
/// ``TestApp/run(on:accessTTL:corsOrigins:configure:_:)``.
///
/// Every database is new for the test and removed afterwards. MariaDB needs a server named by
/// `CHATONE_TEST_MYSQL_URL`, PostgreSQL one named by `CHATONE_TEST_POSTGRES_URL`; without one their cases are
/// cancelled, so they show as skipped, with a warning in the test's output (the console does not list cancelled
/// cases of a parameterised test).
public enum TestBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// A SQLite file in a scratch directory: the production setup.
    case sqliteFile
    /// A SQLite database in memory.
    case sqliteMemory
    /// A scratch database on the MariaDB server named by `CHATONE_TEST_MYSQL_URL`.
    case mariadb
    /// A scratch database on the PostgreSQL server named by `CHATONE_TEST_POSTGRES_URL`.
    case postgres

    /// Every backend: for store and service tests.
    public static let all: [TestBackend] = allCases
    /// The backends a deployed server runs on: for tests of the whole server, where SQLite in memory would only
    /// repeat the file case.
    public static let servers: [TestBackend] = [.sqliteFile, .mariadb, .postgres]

    public var testDescription: String { rawValue }

    public var isSQLite: Bool { self == .sqliteFile || self == .sqliteMemory }

    /// A quiet logger for databases and servers under test.
    public static let logger: Logger = {
        var logger = Logger(label: "chatone-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Creates a fresh, empty database, runs `body` with its URL, and removes the database afterwards, also on
    /// failure. On MariaDB or PostgreSQL without a server, records a warning and cancels the test case.
    public func withDatabaseURL<T>(_ body: (DatabaseURL) async throws -> T) async throws -> T {
        switch self {
        case .sqliteFile, .sqliteMemory:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatone-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            return try await body(self == .sqliteFile ? .sqlite(path: dir.appendingPathComponent("chat.sqlite").path) : .sqlite(path: nil))
        case .mariadb:
            guard MySQLTestServer.url != nil else {
                Issue.record(Comment(rawValue: MySQLTestServer.skipMessage), severity: .warning)
                try Test.cancel(Comment(rawValue: MySQLTestServer.skipMessage))
            }
            return try await MySQLTestServer.withScratchDatabase { url in try await body(try DatabaseURL(parsing: url)) }
        case .postgres:
            guard PostgresTestServer.url != nil else {
                Issue.record(Comment(rawValue: PostgresTestServer.skipMessage), severity: .warning)
                try Test.cancel(Comment(rawValue: PostgresTestServer.skipMessage))
            }
            return try await PostgresTestServer.withScratchDatabase { url in try await body(try DatabaseURL(parsing: url)) }
        }
    }
}
