import ChatSQL
import ChatTestSupport
import Foundation
import SQLKit
import Testing

@Suite("ChatSQL: migrations and SQLite settings")
struct MigrationTests {
    @Test("migrating twice applies nothing the second time", arguments: TestBackend.all)
    func idempotentMigrations(database: TestBackend) async throws {
        try await database.withStore { _, backend in
            let again = try await Migrator(backend: backend, logger: TestBackend.logger).migrate()
            #expect(again.isEmpty)
            let versions = try await backend.read { db in
                try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            }
            #expect(versions == Migrator.all.map(\.version))
        }
    }

    @Test("SQLite files run in WAL mode with foreign keys on and temporary storage in memory, on the writer and the readers")
    func sqlitePragmas() async throws {
        try await TestBackend.sqliteFile.withStore { _, backend in
            let settings: @Sendable (any SQLDatabase) async throws -> [String?] = { db in
                [
                    try await db.raw("PRAGMA journal_mode").first(decodingColumn: "journal_mode", as: String.self),
                    try await db.raw("PRAGMA foreign_keys").first(decodingColumn: "foreign_keys", as: Int.self).map(String.init),
                    // 2 is MEMORY: statement journals never spill to temporary files.
                    try await db.raw("PRAGMA temp_store").first(decodingColumn: "temp_store", as: Int.self).map(String.init),
                ]
            }
            let onReader = try await backend.read(settings)
            let onWriter = try await backend.transaction(settings)
            #expect(onReader == ["wal", "1", "2"])
            #expect(onWriter == ["wal", "1", "2"])
        }
    }

    @Test("API queries are served by indexes, not full scans")
    func queryPlansUseIndexes() async throws {
        try await TestBackend.sqliteFile.withStore { _, backend in
            let queries: [SQLQueryString] = [
                "SELECT id FROM users WHERE username_key = \(bind: "a")",
                "SELECT * FROM messages WHERE conversation_id = \(bind: 1) AND seq < \(bind: 5) ORDER BY seq DESC LIMIT 5",
                "SELECT * FROM messages WHERE conversation_id = \(bind: 1) AND sender_id = \(bind: 2) AND client_message_id = \(bind: "x")",
                "SELECT conversation_id FROM conversation_members WHERE user_id = \(bind: 1)",
                "SELECT id FROM conversations WHERE direct_key = \(bind: "1:2")",
                "SELECT id FROM refresh_tokens WHERE token_hash = \(bind: "h")",
                """
                SELECT id FROM users WHERE (username_key >= \(bind: "a") AND username_key < \(bind: "b"))
                OR (display_name_key >= \(bind: "a") AND display_name_key < \(bind: "b"))
                """,
            ]
            for query in queries {
                let plan = try await backend.read { db in
                    var explain = SQLQueryString("EXPLAIN QUERY PLAN ")
                    explain.appendInterpolation(query)
                    let finalQuery = explain
                    return try await db.raw(finalQuery).all().map { try $0.decode(column: "detail", as: String.self) }
                }
                let scans = plan.filter { $0.hasPrefix("SCAN") }
                #expect(scans.isEmpty, "full scan in plan \(plan)")
            }
        }
    }

    @Test("data survives closing and reopening a SQLite file")
    func persistence() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatsql-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = DatabaseURL.sqlite(path: dir.appendingPathComponent("p.sqlite").path)
        let user = Fixtures.user("persisted")
        let first = try await ChatDatabase.open(url, logger: TestBackend.logger)
        try await Migrator(backend: first, logger: TestBackend.logger).migrate()
        _ = try await SQLChatStore(backend: first).insertUser(user)
        await first.shutdown()
        let second = try await ChatDatabase.open(url, logger: TestBackend.logger)
        let reread = try await SQLChatStore(backend: second).user(id: user.id)
        await second.shutdown()
        #expect(reread?.username == "persisted")
    }

    @Test("database URLs parse, and bad ones are refused")
    func urls() throws {
        #expect(try DatabaseURL(parsing: "sqlite://chatone.sqlite") == .sqlite(path: "chatone.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite:///var/lib/chat.db") == .sqlite(path: "/var/lib/chat.db"))
        #expect(try DatabaseURL(parsing: "sqlite://:memory:") == .sqlite(path: nil))
        #expect(try DatabaseURL(parsing: "mysql://u:p@h:3306/d") == .mysql("mysql://u:p@h:3306/d"))
        #expect(throws: (any Error).self) { try DatabaseURL(parsing: "postgres://x") }
        #expect(throws: (any Error).self) { try DatabaseURL(parsing: "sqlite://") }
    }
}
