import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import SQLKit
import Testing

/// A batch whose COMMIT loses its connection on a real PostgreSQL: the store reads what was stored instead of guessing
/// or retrying. The fault is real: a deferred trigger keeps the COMMIT busy, and the server session is terminated
/// from another connection (`pg_terminate_backend`) while it runs.
@Suite struct PostgresUnknownCommitTests {
    // This test once hung the whole run in some runs: the pool lent the killed connection to the settling read, and
    // postgres-nio never answers a statement sent on a closed connection (issue 13). The store now guards every
    // piece of work on a pooled connection (PostgresConnectionWatch); the time limit keeps a regression from hanging
    // CI. PostgresClosedConnectionTests covers the mechanism directly.
    @Test(.timeLimit(.minutes(1)))
    func sessionKilledDuringCommitIsReportedFailedAndNothingIsStored() async throws {
        try await TestBackend.postgres.withStore { store, backend in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id)).conversation.id
            _ = try await store.append([Fixtures.draft(conversation, from: alice.id, "before", clientID: "b0")])
            // From now on every COMMIT that inserted a message spends two seconds in this trigger.
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
            let drafts = [
                Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1"), Fixtures.draft(conversation, from: bob.id, "two"),
                // A retry of an earlier message in the same batch: its answer does not depend on this commit.
                Fixtures.draft(conversation, from: alice.id, "before", clientID: "b0"),
            ]
            let append = Task { try await store.appendMessages(drafts) }
            var killed = false
            for _ in 0..<100 where !killed {
                try await Task.sleep(for: .milliseconds(20))
                killed = try await backend.read { db in
                    try await db.raw(
                        """
                        SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query = 'COMMIT'
                        """
                    ).first(decodingColumn: "killed", as: Bool.self) ?? false
                }
            }
            #expect(killed, "the COMMIT was seen running and its session terminated")
            let results = try await append.value
            for result in results.prefix(2) {
                #expect(throws: ChatError.self) { try result.get() }
            }
            #expect(try results[2].get().outcome.isNew == false)
            try await backend.transaction { db in try await db.raw("DROP TRIGGER slow_commit ON messages").run() }
            let stored = try await store.messages(conversationID: conversation, range: .latest, limit: 10)
            #expect(stored.map(\.seq) == [1])
            // The retry stores it now, with the next seq: nothing was given out twice.
            let retry = try await store.append([Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1")])
            #expect(retry.first?.isNew == true)
            #expect(retry.first?.message.seq == 2)
        }
    }
}
