import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import PostgresNIO
import SQLKit
import Testing

/// Work on a pooled PostgreSQL connection that closes under it ends with an error instead of waiting for ever, and
/// the store keeps serving on other connections. postgres-nio never answers a statement written to a connection
/// whose channel has already closed, and its pool can lend such a connection; before the store guarded against it,
/// the message appender could stall for good after a connection died during COMMIT (issue 13).
@Suite(.timeLimit(.minutes(1))) struct PostgresClosedConnectionTests {
    /// The server ends a session (`pg_terminate_backend`, as an operator or a failover would) and, once the client
    /// has seen the connection close, a statement is sent on it: the caller hears that the connection closed.
    @Test func statementOnAConnectionThatClosedFailsInsteadOfWaiting() async throws {
        try await TestBackend.postgres.withStore { store, backend in
            let postgres = try #require(backend as? PostgresBackend)
            let started = ContinuousClock.now
            await #expect(throws: PostgresConnectionClosed.self) {
                try await postgres.withConnection { connection in
                    let pid = try await Self.backendPID(of: connection)
                    try await Self.terminate(pid, using: postgres)
                    try await connection.closeFuture.get()
                    _ = try await connection.query("SELECT 1", logger: TestBackend.logger).collect()
                }
            }
            #expect(ContinuousClock.now - started < .seconds(10), "the closed connection was given up within its grace period")
            // The pool drops the dead connection and lends a new one.
            let alice = try await store.insertUser(Fixtures.user("alice"))
            #expect(try await store.user(id: alice.id)?.username == "alice")
        }
    }

    /// A transaction whose session is ended while its body runs fails (rolled back with the session), and the next
    /// transaction through the same backend succeeds.
    @Test func transactionWhoseSessionEndsFailsAndTheNextOneSucceeds() async throws {
        try await TestBackend.postgres.withStore { store, backend in
            let postgres = try #require(backend as? PostgresBackend)
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id)).conversation.id
            await #expect(throws: ChatError.self) {
                try await postgres.transaction { db in
                    try await db.raw("UPDATE conversations SET updated_at = 0 WHERE id = \(bind: conversation)").run()
                    let pid = try #require(try await db.raw("SELECT pg_backend_pid() AS pid").first(decodingColumn: "pid", as: Int32.self))
                    try await Self.terminate(pid, using: postgres)
                    // Long enough for the close to reach the client, so that this statement goes to a closed channel.
                    try await Task.sleep(for: .milliseconds(300))
                    try await db.raw("SELECT 1").run()
                }
            }
            let appended = try await store.append([Fixtures.draft(conversation, from: alice.id, "after", clientID: "a1")])
            #expect(appended.first?.message.seq == 1)
        }
    }

    /// The appender's own case with a pool of one connection: the batch's session is ended during its COMMIT, so the
    /// only connection the pool has to lend for settling the outcome is the dead one (or, once the pool has seen it
    /// close, a new one). The batch is reported failed, and the next append through the same store is stored.
    @Test func appenderWithOneConnectionKeepsServingAfterItDiesDuringCommit() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            // The migration holds its lock on one connection while it runs transactions on others: it gets the
            // default pool; the killer then gets a connection of its own, as the store's only one is busy committing.
            let admin = try await PostgresBackend.open(url: url, logger: TestBackend.logger)
            do {
                try await Migrator(backend: admin, logger: TestBackend.logger).migrate()
            } catch {
                await admin.shutdown()
                throw error
            }
            let backend = try await PostgresBackend.open(url: url, maximumConnections: 1, logger: TestBackend.logger)
            do {
                let store = SQLChatStore(backend: backend)
                let alice = try await store.insertUser(Fixtures.user("alice"))
                let bob = try await store.insertUser(Fixtures.user("bob"))
                let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id)).conversation.id
                try await Self.slowDownCommits(backend)
                let append = Task { try await store.appendMessages([Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1")]) }
                #expect(try await Self.terminateRunningCommit(using: admin), "the COMMIT was seen running and its session terminated")
                let results = try await append.value
                #expect(throws: ChatError.self) { try results[0].get() }
                try await backend.transaction { db in try await db.raw("DROP TRIGGER slow_commit ON messages").run() }
                let retry = try await store.append([Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1")])
                #expect(retry.first?.isNew == true)
                #expect(retry.first?.message.seq == 1)
                await admin.shutdown()
                await backend.shutdown()
            } catch {
                await admin.shutdown()
                await backend.shutdown()
                throw error
            }
        }
    }

    /// All of the pool's connections are busy, work waits for one, and the busy one dies: the waiting work gets a new
    /// connection instead of waiting for a release that will never come.
    // Disabled, not deleted: beside the other database suites it hung the whole Swift run in 4 of 5 runs on
    // 2026-11-27 (alone it passes); its `.timeLimit` cannot end the stuck wait. Whether the test (written for a pool
    // of one, now at least two) or the pool's wait is at fault is open (issue 13's note).
    @Test(.disabled("hangs the run beside the other suites; see issue 13's note"))
    func workWaitingForTheOnlyConnectionGetsANewOneWhenItDies() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let backend = try await PostgresBackend.open(url: url, maximumConnections: 1, logger: TestBackend.logger)
            let admin = try await PostgresBackend.open(url: url, maximumConnections: 1, logger: TestBackend.logger)
            do {
                let busy = Task {
                    try await backend.read { db in try await db.raw("SELECT pg_sleep(5), 'busy' AS marker").run() }
                }
                // Waits for the only connection, held by `busy`.
                let waiting = Task {
                    try await Task.sleep(for: .milliseconds(200))
                    return try await backend.read { db in try await db.raw("SELECT 42 AS answer").first(decodingColumn: "answer", as: Int.self) }
                }
                var killed = false
                for _ in 0..<100 where !killed {
                    try await Task.sleep(for: .milliseconds(50))
                    killed = try await admin.read { db in
                        try await db.raw(
                            """
                            SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
                            WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%''busy'' AS marker%'
                            """
                        ).first(decodingColumn: "killed", as: Bool.self) ?? false
                    }
                }
                #expect(killed)
                await #expect(throws: ChatError.self) { try await busy.value }
                #expect(try await waiting.value == 42)
                await admin.shutdown()
                await backend.shutdown()
            } catch {
                await admin.shutdown()
                await backend.shutdown()
                throw error
            }
        }
    }

    /// From now on every COMMIT that inserted a message spends two seconds in a deferred trigger.
    static func slowDownCommits(_ backend: any SQLBackend) async throws {
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

    /// Waits (up to two seconds) for a COMMIT to run in this database and terminates its session.
    static func terminateRunningCommit(using backend: any SQLBackend) async throws -> Bool {
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

    private static func backendPID(of connection: PostgresConnection) async throws -> Int32 {
        var pid: Int32?
        for try await row in try await connection.query("SELECT pg_backend_pid()", logger: TestBackend.logger) {
            pid = try row.decode(Int32.self)
        }
        return try #require(pid)
    }

    private static func terminate(_ pid: Int32, using backend: PostgresBackend) async throws {
        let killed = try await backend.read { db in
            try await db.raw("SELECT pg_terminate_backend(\(bind: pid)) AS killed").first(decodingColumn: "killed", as: Bool.self)
        }
        try #require(killed == true)
    }
}
