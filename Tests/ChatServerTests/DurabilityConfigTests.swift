import ChatCore
import ChatServer
import ChatSQL
import ChatTestSupport
import Foundation
import Logging
import Testing

/// `CHATONE_SQLITE_SYNCHRONOUS`, `CHATONE_PRESENCE_GRACE`, and what the databases are opened with.
@Suite struct DurabilityConfigTests {
    static let logger: Logger = {
        var logger = Logger(label: "durability-test")
        logger.logLevel = .error
        return logger
    }()

    @Test func defaultsAreDurableAndPresenceWaitsThreeSeconds() throws {
        let config = try ServerConfig.fromEnvironment([:])
        #expect(config.sqliteSynchronous == .full)
        #expect(config.databaseOptions == DatabaseOptions(sqliteSynchronous: .full))
        #expect(config.presenceGrace == 3)
    }

    @Test func settingsAreReadFromTheEnvironment() throws {
        let config = try ServerConfig.fromEnvironment(["CHATONE_SQLITE_SYNCHRONOUS": "NORMAL", "CHATONE_PRESENCE_GRACE": "0"])
        #expect(config.sqliteSynchronous == .normal)
        #expect(config.presenceGrace == 0)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_PRESENCE_GRACE": "0.5"]).presenceGrace == 0.5)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_SQLITE_SYNCHRONOUS": "full"]).sqliteSynchronous == .full)
    }

    @Test(arguments: ["off", "2", "extra", "fullish"])
    func invalidSynchronousIsRefused(_ value: String) {
        #expect(throws: ChatError.validation("CHATONE_SQLITE_SYNCHRONOUS must be full or normal", field: "CHATONE_SQLITE_SYNCHRONOUS")) {
            _ = try ServerConfig.fromEnvironment(["CHATONE_SQLITE_SYNCHRONOUS": value])
        }
    }

    @Test(arguments: ["-1", "soon", "nan", "inf", "3601"])
    func invalidGraceIsRefused(_ value: String) {
        #expect(throws: ChatError.validation("CHATONE_PRESENCE_GRACE must be a number of seconds from 0 to 3600", field: "CHATONE_PRESENCE_GRACE")) {
            _ = try ServerConfig.fromEnvironment(["CHATONE_PRESENCE_GRACE": value])
        }
    }

    @Test func shutdownGraceDefaultsToTenSecondsAndIsRead() throws {
        #expect(try ServerConfig.fromEnvironment([:]).shutdownGrace == 10)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_SHUTDOWN_GRACE": "2.5"]).shutdownGrace == 2.5)
    }

    @Test(arguments: ["0", "-1", "later", "nan", "3601"])
    func invalidShutdownGraceIsRefused(_ value: String) {
        #expect(throws: ChatError.validation("CHATONE_SHUTDOWN_GRACE must be a number of seconds from 1 to 3600", field: "CHATONE_SHUTDOWN_GRACE")) {
            _ = try ServerConfig.fromEnvironment(["CHATONE_SHUTDOWN_GRACE": value])
        }
    }

    /// `PRAGMA synchronous`: 2 is FULL, 1 NORMAL; checked on the writer and on a reader connection.
    @Test(arguments: [(SQLiteSynchronous.full, 2), (.normal, 1)])
    func sqliteConnectionsUseTheSetting(_ setting: SQLiteSynchronous, _ expected: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatone-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let backend = try await ChatDatabase.open(
            .sqlite(path: dir.appendingPathComponent("chat.sqlite").path), options: DatabaseOptions(sqliteSynchronous: setting),
            logger: Self.logger)
        let read = try await backend.read { db in try await db.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self) }
        let written = try await backend.transaction { db in
            try await db.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
        }
        await backend.shutdown()
        #expect(read == expected)
        #expect(written == expected)
    }

    @Test func theDefaultOptionsAreFull() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatone-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let backend = try await ChatDatabase.open(.sqlite(path: dir.appendingPathComponent("chat.sqlite").path), logger: Self.logger)
        let value = try await backend.transaction { db in
            try await db.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
        }
        await backend.shutdown()
        #expect(value == 2)
    }

    @Test func mariaDBDurabilityWarnings() {
        typealias Settings = MySQLBackend.DurabilitySettings
        #expect(Settings(flushLogAtTrxCommit: 1, binlogEnabled: false, syncBinlog: 0).warnings.isEmpty)
        #expect(Settings(flushLogAtTrxCommit: 1, binlogEnabled: true, syncBinlog: 1).warnings.isEmpty)
        let lax = Settings(flushLogAtTrxCommit: 2, binlogEnabled: true, syncBinlog: 0).warnings
        #expect(lax.count == 2)
        #expect(lax.first?.contains("innodb_flush_log_at_trx_commit is 2") == true)
        #expect(lax.last?.contains("sync_binlog is 0") == true)
        #expect(Settings(flushLogAtTrxCommit: 0, binlogEnabled: false, syncBinlog: 0).warnings.count == 1)
    }

    /// The settings are read from the server. The test server (scripts/mariadb.sh) runs with
    /// `innodb_flush_log_at_trx_commit=2` for speed, so there is a warning to see.
    @Test func mariaDBSettingsAreRead() async throws {
        guard let url = MySQLTestServer.url else {
            Issue.record(Comment(rawValue: MySQLTestServer.skipMessage), severity: .warning)
            return
        }
        let backend = try await MySQLBackend.open(url: url, logger: Self.logger)
        let settings = try await backend.durabilitySettings()
        await backend.shutdown()
        let flush = try #require(settings.flushLogAtTrxCommit)
        #expect((0...2).contains(flush))
        #expect(settings.warnings.isEmpty == (flush == 1 && (!settings.binlogEnabled || settings.syncBinlog == 1)))
    }
}
