import ChatSQL
import SQLKit

/// A real fault at COMMIT on a PostgreSQL test database, for the suites that check what the store does when a
/// session ends while it commits: a deferred trigger keeps each COMMIT that inserted a message busy, and the session
/// running such a COMMIT is terminated from another connection (`pg_terminate_backend`), as an operator or a
/// failover would end it.
public enum PostgresCommitFaults {
    /// From now on every COMMIT that inserted a message spends two seconds in a deferred trigger.
    public static func slowDownCommits(_ backend: any SQLBackend) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$
                """
            ).run()
            try await db.raw(
                """
                CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON messages DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION slow_commit()
                """
            ).run()
        }
    }

    /// Undoes ``slowDownCommits(_:)``.
    public static func restoreCommits(_ backend: any SQLBackend) async throws {
        try await backend.transaction { db in try await db.raw("DROP TRIGGER slow_commit ON messages").run() }
    }

    /// Waits (up to two seconds) for a COMMIT to run in `backend`'s database and terminates its session; false if
    /// none was seen. Only sessions of that database are looked at, so suites on other databases of the same
    /// server are never touched.
    public static func terminateRunningCommit(using backend: any SQLBackend) async throws -> Bool {
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(20))
            let killed = try await backend.read { db in
                try await db.raw(
                    """
                    SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query = 'COMMIT'
                    """
                ).first(decodingColumn: "killed", as: Bool.self) ?? false
            }
            if killed { return true }
        }
        return false
    }
}
