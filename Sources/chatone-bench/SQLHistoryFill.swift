import Foundation
import NIOPosix
import SQLiteKit

/// P3 at the 10,000,000 scale: sending that many messages takes about an hour at the P1 ceiling, so the history is
/// written straight into the spawned server's SQLite file, in one transaction (a recursive CTE), while the server runs
/// (SQLite's own file locking keeps both sides consistent).
///
/// It goes through sqlite-nio, whose bundled SQLite reads the server's schema (FTS5 `contentless_delete` needs 3.43 or
/// later; Debian 12's `sqlite3` tool is 3.40). The search index's triggers run for every row, as they would for sent
/// messages.
///
/// The rows look like sent ones: `seq` 1…N, the conversation's `last_seq` moved to N. Their ids are 1…N, far below any
/// id the server's generator makes (those start with the milliseconds since 2024 in the top bits), so nothing collides.
/// This is the bench's set-up only: the server's own SQL stays in ChatSQL.
struct SQLHistoryFill {
    var databasePath: String

    func fill(conversation: String, sender: String, messages: Int) async throws {
        guard let conversationID = Int64(conversation), let senderID = Int64(sender) else {
            throw BenchError.unexpected("non-numeric ids")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let connection = try await SQLiteConnection.open(
            storage: .file(path: databasePath),
            threadPool: .singleton,
            on: MultiThreadedEventLoopGroup.singleton.any()
        )
        do {
            _ = try await connection.query("PRAGMA busy_timeout = 60000", [])
            _ = try await connection.query("BEGIN IMMEDIATE", [])
            _ = try await connection.query(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
                INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, created_at)
                SELECT i, ?2, i, ?3, 'history message ' || i, NULL, ?4 FROM n
                """,
                [.integer(messages), .integer(Int(conversationID)), .integer(Int(senderID)), .integer(Int(now))]
            )
            _ = try await connection.query(
                "UPDATE conversations SET last_seq = ?1 WHERE id = ?2",
                [.integer(messages), .integer(Int(conversationID))]
            )
            _ = try await connection.query("COMMIT", [])
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
