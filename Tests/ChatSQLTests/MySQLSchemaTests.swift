import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import SQLKit
import Testing

@Suite("ChatSQL: MySQL/MariaDB schema")
struct MySQLSchemaTests {
    @Test("every table is InnoDB in utf8mb4, key columns compare bytes, foreign keys exist")
    func tablesAndKeys() async throws {
        try await TestBackend.mariadb.withStore { _, backend in
            let tables = try await backend.read { db in
                try await db.raw(
                    """
                    SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
                    FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
                    """
                ).all().map {
                    (try $0.decode(column: "name", as: String.self), try $0.decode(column: "engine", as: String.self),
                     try $0.decode(column: "collation", as: String.self))
                }
            }
            let expected: Set = [
                "users", "auth_sessions", "refresh_tokens", "conversations", "conversation_members", "messages", "message_reactions", "blocks",
            ]
            #expect(Set(tables.map(\.0)).isSuperset(of: expected))
            for (name, engine, collation) in tables {
                #expect(engine == "InnoDB", "\(name)")
                #expect(collation.hasPrefix("utf8mb4_"), "\(name): \(collation)")
            }
            let keyCollations = try await backend.read { db in
                try await db.raw(
                    """
                    SELECT COLUMN_NAME AS name, COLLATION_NAME AS collation FROM information_schema.COLUMNS
                    WHERE TABLE_SCHEMA = DATABASE()
                      AND COLUMN_NAME IN ('username_key', 'display_name_key', 'token_hash', 'direct_key', 'client_message_id', 'emoji')
                    """
                ).all().map { (try $0.decode(column: "name", as: String.self), try $0.decode(column: "collation", as: String.self)) }
            }
            #expect(keyCollations.count == 6)
            #expect(keyCollations.allSatisfy { $0.1 == "utf8mb4_bin" }, "\(keyCollations)")
            let foreignKeys = try await backend.read { db in
                try await db.raw(
                    """
                    SELECT CONCAT(TABLE_NAME, '->', REFERENCED_TABLE_NAME, ':', DELETE_RULE) AS fk
                    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
                    """
                ).all().map { try $0.decode(column: "fk", as: String.self) }
            }
            #expect(
                Set(foreignKeys) == [
                    "auth_sessions->users:CASCADE", "refresh_tokens->auth_sessions:CASCADE", "conversation_members->conversations:CASCADE",
                    "conversation_members->users:CASCADE", "messages->conversations:CASCADE", "messages->users:RESTRICT",
                    "message_reactions->messages:CASCADE", "message_reactions->users:CASCADE", "blocks->users:CASCADE",
                ])
        }
    }

    @Test("the database refuses what the store relies on it to refuse: duplicate keys and dangling references")
    func constraints() async throws {
        try await TestBackend.mariadb.withStore { store, backend in
            let ann = try await store.insertUser(Fixtures.user("ann"))
            // The unique key on the lower-cased name, hit directly (the store's own check is bypassed).
            await #expect(throws: ChatError.conflict("a record with the same key already exists")) {
                try await backend.transaction { db in
                    try await db.raw(
                        """
                        INSERT INTO users (id, username, username_key, display_name, display_name_key, password_hash, created_at)
                        VALUES (\(bind: Fixtures.ids.next()), 'ANN', 'ann', 'x', 'x', 'h', 0)
                        """
                    ).run()
                }
            }
            // A key differing only in case or accents is a different key (utf8mb4_bin).
            _ = try await store.insertUser(Fixtures.user("Åse"))
            _ = try await store.insertUser(Fixtures.user("ase"))
            await #expect(throws: ChatError.notFound("a referenced record does not exist")) {
                try await backend.transaction { db in
                    try await db.raw(
                        "INSERT INTO auth_sessions (id, user_id, created_at) VALUES (\(bind: Fixtures.ids.next()), \(bind: ann.id + 1), 0)"
                    ).run()
                }
            }
        }
    }

    @Test("API queries are served by indexes, not full scans")
    func queryPlansUseIndexes() async throws {
        try await TestBackend.mariadb.withStore { store, backend in
            // Enough rows that the optimizer has a real choice.
            var users: [User] = []
            for i in 0..<60 { users.append(try await store.insertUser(Fixtures.user("user_\(i)"))) }
            let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(users[0].id, users[1].id)).conversation
            _ = try await store.append((0..<30).map { Fixtures.draft(conversation.id, from: users[$0 % 2].id, clientID: "c\($0)") })
            try await backend.transaction { db in try await db.raw("ANALYZE TABLE users, messages, conversation_members, conversations").run() }
            let queries: [SQLQueryString] = [
                "SELECT id FROM users WHERE username_key = \(bind: "user_3")",
                "SELECT * FROM messages WHERE conversation_id = \(bind: conversation.id) AND seq < \(bind: 5) ORDER BY seq DESC LIMIT 5",
                """
                SELECT * FROM messages WHERE conversation_id = \(bind: conversation.id) AND sender_id = \(bind: users[0].id)
                  AND client_message_id = \(bind: "c4")
                """,
                "SELECT conversation_id FROM conversation_members WHERE user_id = \(bind: users[0].id)",
                "SELECT id FROM conversations WHERE direct_key = \(bind: "1:2")",
                "SELECT id FROM refresh_tokens WHERE token_hash = \(bind: "h")",
                """
                SELECT id FROM users WHERE (username_key >= \(bind: "user_25") AND username_key < \(bind: "user_26"))
                OR (display_name_key >= \(bind: "user_25") AND display_name_key < \(bind: "user_26"))
                """,
            ]
            for query in queries {
                var explain = SQLQueryString("EXPLAIN ")
                explain.appendInterpolation(query)
                let finalQuery = explain
                let plan = try await backend.read { db in
                    try await db.raw(finalQuery).all().map {
                        (try $0.decode(column: "type", as: String?.self), try $0.decode(column: "Extra", as: String?.self))
                    }
                }
                // `ALL` is a full table scan; an impossible lookup on a unique key is resolved without one.
                let scans = plan.filter { $0.0 == "ALL" }
                #expect(scans.isEmpty, "full scan in plan \(plan) for \(query)")
            }
        }
    }
}

@Suite("ChatSQL: concurrent migrations")
struct ConcurrentMigrationTests {
    @Test("two processes migrating one fresh database at once both succeed and apply each version once")
    func twoMigrators() async throws {
        try await TestBackend.mariadb.withDatabaseURL { url in
            let first = try await ChatDatabase.open(url, logger: TestBackend.logger)
            let second = try await ChatDatabase.open(url, logger: TestBackend.logger)
            async let a = Migrator(backend: first, logger: TestBackend.logger).migrate()
            async let b = Migrator(backend: second, logger: TestBackend.logger).migrate()
            let applied = try await a + b
            #expect(applied.sorted() == Migrator.all.map(\.version))
            let versions = try await first.read { db in
                try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            }
            #expect(versions == Migrator.all.map(\.version))
            await first.shutdown()
            await second.shutdown()
        }
    }
}

extension ConcurrentMigrationTests {
    @Test("a migration waits for another process's lock longer than the client's read timeout")
    func longWait() async throws {
        try await TestBackend.mariadb.withDatabaseURL { url in
            let first = try await ChatDatabase.open(url, logger: TestBackend.logger)
            // A client that gives up on any one read after 8 s: one long GET_LOCK would end as a lost connection.
            guard case .mysql(let text) = url else { throw ChatError.internal("not a MySQL URL") }
            let impatient = text + (text.contains("?") ? "&" : "?") + "read_timeout=8"
            let second = try await ChatDatabase.open(try DatabaseURL(parsing: impatient), logger: TestBackend.logger)
            // The schema is made by the first process beforehand: the impatient client is only to wait for the lock,
            // not to run DDL, which on a loaded server can itself take longer than its 8 s.
            try await Migrator(backend: first, logger: TestBackend.logger).migrate()
            let held = ContinuousClock.now
            // The first process holds the migration lock for 13 s (a long migration).
            async let slow: Void = first.withMigrationLock { try await Task.sleep(for: .seconds(13)) }
            try await Task.sleep(for: .milliseconds(500))
            let applied = try await Migrator(backend: second, logger: TestBackend.logger).migrate()
            #expect(ContinuousClock.now - held >= .seconds(13), "it waited for the lock")
            #expect(applied.isEmpty, "the first process had applied everything")
            try await slow
            await first.shutdown()
            await second.shutdown()
        }
    }
}

@Suite("ChatSQL: MySQL URLs")
struct MySQLURLTests {
    @Test("a MySQL URL prints without its password")
    func redacted() throws {
        let url = try DatabaseURL(parsing: "mysql://chat:s3cr%40t@db.example:3306/chat?sslmode=required")
        #expect("\(url)" == "mysql://chat:***@db.example:3306/chat?sslmode=required")
        #expect(!String(reflecting: url).contains("s3cr"))
    }

    @Test("pool_size=1 is refused before connecting: the migration's lock and its work need two connections")
    func poolOfOneIsRefused() async throws {
        // Port 1 on loopback: nothing listens, so reaching the server would fail differently.
        await #expect {
            _ = try await MySQLBackend.open(url: "mysql://u:p@127.0.0.1:1/chat?pool_size=1", logger: TestBackend.logger)
        } throws: { error in
            (error as? ChatError)?.details?["field"] == "databaseURL" && "\(error)".contains("pool_size")
        }
    }
}
