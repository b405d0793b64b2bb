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
///
/// Every wait on work of a task of its own is bounded (``BoundedWait``): a time limit cannot end such a wait, and a
/// regression would hang the whole run. The limit is a backstop, generous because creating and dropping the
/// scratch database beside the other suites on a loaded machine has alone taken over 20 seconds.
@Suite(.timeLimit(.minutes(3))) struct PostgresClosedConnectionTests {
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
                try await PostgresCommitFaults.slowDownCommits(backend)
                let append = Task { try await store.appendMessages([Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1")]) }
                #expect(try await PostgresCommitFaults.terminateRunningCommit(using: admin), "the COMMIT was seen running and its session terminated")
                let results = try await BoundedWait.value(of: append, within: .seconds(30), "the append whose COMMIT lost its session")
                #expect(throws: ChatError.self) { try results[0].get() }
                try await PostgresCommitFaults.restoreCommits(backend)
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

    /// All of the pool's connections are busy, work waits for one, and one of the busy ones dies: the waiting work
    /// gets a new connection at once, not when the other busy one is done. postgres-nio's pool (1.33) opens no
    /// replacement for a leased connection that closes while requests wait (vapor/postgres-nio#657); the backend
    /// asks again for a lease that has waited a while. Before it did, this waiting work was stranded for ever
    /// whenever the pool saw the close before the dead connection's release.
    @Test func workWaitingForAConnectionGetsANewOneWhenABusyOneDies() async throws {
        // Longer than this test may take: the waiting work must not be served by their release.
        try await Self.withBusyPool(sleeping: [(120, "first"), (120, "second")]) { backend, admin, busy in
            let waiting = Task {
                try await backend.read { db in try await db.raw("SELECT 42 AS answer").first(decodingColumn: "answer", as: Int.self) }
            }
            // Long enough for the request to be queued: the pool has no third connection to lend.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.terminateSleeping("first", using: admin) == 1)
            await #expect(throws: ChatError.self) { try await BoundedWait.value(of: busy[0], within: .seconds(20), "the killed work") }
            do {
                #expect(try await BoundedWait.value(of: waiting, within: .seconds(20), "the waiting work") == 42)
            } catch let error as ChatError {
                // Should the dead connection's release reach the pool before its close, the pool lends it to the
                // waiting work, which then fails like any work on a connection that closes under it.
                Issue.record(Comment(rawValue: "the pool lent the waiting work the dead connection: \(error)"), severity: .warning)
            }
            // Either way the store serves while `second` still holds its connection.
            let next = Task { try await backend.read { db in try await db.raw("SELECT 43 AS answer").first(decodingColumn: "answer", as: Int.self) } }
            #expect(try await BoundedWait.value(of: next, within: .seconds(20), "the next work") == 43)
        }
    }

    /// Work that waits for a merely busy pool longer than a lease request may wait (it is withdrawn and made again)
    /// runs once, when a connection is released.
    @Test func workWaitingLongForABusyPoolRunsOnceWhenAConnectionIsReleased() async throws {
        // The first is released after 3 seconds, by itself; the second holds on for longer than the test.
        try await Self.withBusyPool(
            sleeping: [(3, "first"), (120, "second")],
            before: { backend in try await backend.transaction { db in try await db.raw("CREATE TABLE ran (id int)").run() } }
        ) { backend, admin, busy in
            let waiting = Task { try await backend.transaction { db in try await db.raw("INSERT INTO ran VALUES (1)").run() } }
            try await BoundedWait.value(of: waiting, within: .seconds(20), "the waiting work")
            try await BoundedWait.value(of: busy[0], within: .seconds(20), "the busy work released first")
            let rows = try await admin.read { db in
                try await db.raw("SELECT count(*)::int AS n FROM ran").first(decodingColumn: "n", as: Int.self)
            }
            #expect(rows == 1, "the work ran once")
        }
    }

    /// Work that waits for a connection (the pool's two are busy) and is cancelled ends at once, though its lease
    /// request is withdrawn and made again while it waits; it is not run later on a connection.
    @Test func workCancelledWhileWaitingForAConnectionEnds() async throws {
        try await Self.withBusyPool(sleeping: [(120, "first"), (120, "second")]) { backend, admin, _ in
            let waiting = Task {
                try await backend.transaction { db in try await db.raw("CREATE TABLE ran (id int)").run() }
            }
            // Past a withdrawal and a new request or two.
            try await Task.sleep(for: .milliseconds(2_500))
            waiting.cancel()
            await #expect(throws: (any Error).self) { try await BoundedWait.value(of: waiting, within: .seconds(10), "the cancelled work") }
            _ = try await Self.terminateSleeping(nil, using: admin)
            // Time for work that was wrongly still queued to get a freed connection and run.
            try await Task.sleep(for: .milliseconds(500))
            let tables = try await admin.read { db in
                try await db.raw("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'ran'").first(decodingColumn: "n", as: Int.self)
            }
            #expect(tables == 0, "the cancelled work never ran")
        }
    }

    /// Runs `body` against a pool of two on a scratch database (the smallest a URL may ask for, `pool_size=2`) whose
    /// connections both run busy work (`sleeping`: seconds and marker each), with a second pool to watch and kill
    /// sessions; `before` runs on the pool first. The busy work left and both pools are ended however `body` ends.
    private static func withBusyPool(
        sleeping: [(seconds: Int, marker: String)], before: (PostgresBackend) async throws -> Void = { _ in },
        _ body: (_ backend: PostgresBackend, _ admin: PostgresBackend, _ busy: [Task<Void, any Error>]) async throws -> Void
    ) async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let backend = try await PostgresBackend.open(url: url, maximumConnections: 2, logger: TestBackend.logger)
            let admin = try await PostgresBackend.open(url: url, maximumConnections: 2, logger: TestBackend.logger)
            var busy: [Task<Void, any Error>] = []
            do {
                try await before(backend)
                busy = sleeping.map { Self.sleep($0.seconds, $0.marker, on: backend) }
                #expect(try await Self.waitUntilRunning(count: busy.count, using: admin), "both of the pool's connections are busy")
                try await body(backend, admin, busy)
            } catch {
                await Self.endAll(busy, admin: admin, backend: backend)
                throw error
            }
            await Self.endAll(busy, admin: admin, backend: backend)
        }
    }

    /// Busy work on one of `backend`'s connections: `pg_sleep(seconds)`, named by `marker` in the query's text.
    private static func sleep(_ seconds: Int, _ marker: String, on backend: PostgresBackend) -> Task<Void, any Error> {
        // Both are this file's constants, written into the text so that the killer can tell the sessions apart.
        let query = SQLQueryString("SELECT pg_sleep(\(unsafeRaw: String(seconds))), '\(unsafeRaw: marker)' AS marker")
        return Task { try await backend.read { db in try await db.raw(query).run() } }
    }

    /// Waits (up to 20 seconds) until `count` sessions of this database run busy work.
    private static func waitUntilRunning(count: Int, using admin: PostgresBackend) async throws -> Bool {
        for _ in 0..<200 {
            let running = try await admin.read { db in
                try await db.raw(
                    """
                    SELECT count(*)::int AS running FROM pg_stat_activity
                    WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep(% AS marker'
                    """
                ).first(decodingColumn: "running", as: Int.self) ?? 0
            }
            if running >= count { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Terminates the sessions of this database (the scratch database of this test alone) that run the busy work
    /// named `marker`, or all busy work; returns how many.
    @discardableResult
    private static func terminateSleeping(_ marker: String?, using admin: PostgresBackend) async throws -> Int {
        let pattern = marker.map { "SELECT pg_sleep(%), '\($0)' AS marker" } ?? "SELECT pg_sleep(% AS marker"
        return try await admin.read { db in
            try await db.raw(
                """
                SELECT count(*)::int AS killed FROM (
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND state = 'active' AND query LIKE \(bind: pattern)
                ) AS terminated
                """
            ).first(decodingColumn: "killed", as: Int.self) ?? 0
        }
    }

    /// Ends the busy work that is left and both pools, without waiting on anything for long.
    private static func endAll(_ busy: [Task<Void, any Error>], admin: PostgresBackend, backend: PostgresBackend) async {
        _ = try? await terminateSleeping(nil, using: admin)
        for task in busy { _ = try? await BoundedWait.value(of: task, within: .seconds(10), "busy work") }
        await admin.shutdown()
        await backend.shutdown()
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
