import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import SQLKit
import Testing

@Suite("ChatSQL: PostgreSQL schema and sessions")
struct PostgresSchemaTests {
    @Test("key columns compare bytes (collation C), foreign keys exist")
    func tablesAndKeys() async throws {
        try await TestBackend.postgres.withStore { _, backend in
            let keyCollations = try await backend.read { db in
                try await db.raw(
                    """
                    SELECT column_name::text AS name, collation_name::text AS collation FROM information_schema.columns
                    WHERE table_schema = current_schema()
                      AND column_name IN ('username_key', 'display_name_key', 'token_hash', 'direct_key', 'client_message_id')
                    """
                ).all().map { (try $0.decode(column: "name", as: String.self), try $0.decode(column: "collation", as: String?.self)) }
            }
            #expect(keyCollations.count == 5)
            #expect(keyCollations.allSatisfy { $0.1 == "C" }, "\(keyCollations)")
            let foreignKeys = try await backend.read { db in
                try await db.raw(
                    """
                    SELECT (tc.table_name || '->' || ccu.table_name || ':' || rc.delete_rule)::text AS fk
                    FROM information_schema.referential_constraints rc
                    JOIN information_schema.table_constraints tc ON tc.constraint_name = rc.constraint_name
                         AND tc.constraint_schema = rc.constraint_schema
                    JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.unique_constraint_name
                         AND ccu.constraint_schema = rc.unique_constraint_schema
                    WHERE rc.constraint_schema = current_schema()
                    """
                ).all().map { try $0.decode(column: "fk", as: String.self) }
            }
            #expect(
                Set(foreignKeys).isSuperset(of: [
                    "auth_sessions->users:CASCADE", "refresh_tokens->auth_sessions:CASCADE", "conversation_members->conversations:CASCADE",
                    "conversation_members->users:CASCADE", "messages->conversations:CASCADE", "messages->users:NO ACTION",
                ]), "\(foreignKeys)")
        }
    }

    @Test("every session commits synchronously at READ COMMITTED, and fsync is on")
    func sessionSettings() async throws {
        try await TestBackend.postgres.withStore { _, backend in
            let postgres = try #require(backend as? PostgresBackend)
            let settings = try await postgres.durabilitySettings()
            #expect(settings == PostgresBackend.DurabilitySettings(fsync: "on", synchronousCommit: "on"))
            #expect(settings.warnings.isEmpty)
            // Inside a transaction too: the append path's lock-then-read needs READ COMMITTED.
            let isolation = try await backend.transaction { db in
                try await db.raw("SELECT current_setting('transaction_isolation') AS level").first(decodingColumn: "level", as: String.self)
            }
            #expect(isolation == "read committed")
            #expect(
                PostgresBackend.DurabilitySettings(fsync: "off", synchronousCommit: "on").warnings.count == 1,
                "fsync off is warned about")
        }
    }

    @Test("the database refuses what the store relies on it to refuse: duplicate keys and dangling references")
    func constraints() async throws {
        try await TestBackend.postgres.withStore { store, backend in
            let ann = try await store.insertUser(Fixtures.user("ann"))
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
            // A key differing only in case or accents is a different key (collation C).
            _ = try await store.insertUser(Fixtures.user("Åse"))
            _ = try await store.insertUser(Fixtures.user("ase"))
            await #expect(throws: ChatError.notFound("a referenced record does not exist")) {
                try await backend.transaction { db in
                    try await db.raw(
                        "INSERT INTO auth_sessions (id, user_id, created_at) VALUES (\(bind: Fixtures.ids.next()), \(bind: ann.id + 1), 0)"
                    ).run()
                }
            }
            // The failed transactions left nothing behind and the pool's connections still work.
            #expect(try await store.user(id: ann.id)?.username == "ann")
        }
    }

    @Test("API queries are served by indexes, not sequential scans")
    func queryPlansUseIndexes() async throws {
        try await TestBackend.postgres.withStore { store, backend in
            var users: [User] = []
            for i in 0..<60 { users.append(try await store.insertUser(Fixtures.user("user_\(i)"))) }
            let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(users[0].id, users[1].id)).conversation
            _ = try await store.append((0..<30).map { Fixtures.draft(conversation.id, from: users[$0 % 2].id, clientID: "c\($0)") })
            let queries: [SQLQueryString] = [
                "SELECT id FROM users WHERE username_key = \(bind: "user_3")",
                "SELECT * FROM messages WHERE conversation_id = \(bind: conversation.id) AND seq < \(bind: Int64(5)) ORDER BY seq DESC LIMIT 5",
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
                // Sequential scans off: on tables this small the planner would rightly prefer one; the question is
                // whether an index can serve the query at all.
                var explain = SQLQueryString("EXPLAIN ")
                explain.appendInterpolation(query)
                let finalQuery = explain
                let plan = try await backend.transaction { db in
                    try await db.raw("SET LOCAL enable_seqscan = off").run()
                    return try await db.raw(finalQuery).all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }
                }
                #expect(!plan.joined(separator: "\n").contains("Seq Scan"), "sequential scan in plan \(plan) for \(query)")
            }
        }
    }
}
