import Foundation

/// P3 at the 10,000,000 scale: sending that many messages takes about an hour at the P1 ceiling, so the history is
/// written straight into the spawned server's SQLite file with the `sqlite3` command-line tool, in one transaction
/// (a recursive CTE, about a minute), while the server runs (SQLite's own file locking keeps both sides consistent).
///
/// The rows look like sent ones: `seq` 1…N, the conversation's `last_seq` moved to N. Their ids are 1…N, far below any
/// id the server's generator makes (those start with the milliseconds since 2024 in the top bits), so nothing collides.
/// This is the bench's set-up only: the server's own SQL stays in ChatSQL. It needs a `sqlite3` that reads the
/// server's schema (FTS5 `contentless_delete`, SQLite 3.43 or later); Debian 12's 3.40 does not.
struct SQLHistoryFill {
    var databasePath: String

    func fill(conversation: String, sender: String, messages: Int) throws {
        guard Int64(conversation) != nil, Int64(sender) != nil else { throw BenchError.unexpected("non-numeric ids") }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let script = """
            PRAGMA busy_timeout = 60000;
            BEGIN IMMEDIATE;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(messages))
            INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, created_at)
            SELECT i, \(conversation), i, \(sender), 'history message ' || i, NULL, \(now) FROM n;
            UPDATE conversations SET last_seq = \(messages) WHERE id = \(conversation);
            COMMIT;
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", databasePath]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError.unexpected("sqlite3 exited with \(process.terminationStatus) (it must be 3.43 or later to read the server's schema)")
        }
    }
}
