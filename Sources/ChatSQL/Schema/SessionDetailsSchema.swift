import SQLKit

/// Version 2: what the sessions API shows of a login, its last use and the client's User-Agent.
///
/// Both columns are nullable so that adding them rewrites nothing; logins from before it count their start as
/// their last use.
enum SessionDetailsSchema {
    static let migration = Migration(version: 2, name: "session details") { db, _ in
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        try await db.raw("ALTER TABLE auth_sessions ADD COLUMN last_used_at BIGINT").run()
        try await db.raw("ALTER TABLE auth_sessions ADD COLUMN user_agent VARCHAR(256)").run()
        try await db.raw("UPDATE auth_sessions SET last_used_at = created_at WHERE last_used_at IS NULL").run()
    }
}
