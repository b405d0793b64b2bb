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
    // piece of work on a pooled connection (PostgresConnectionWatch), and the append is awaited for a bounded time
    // (a time limit cannot end a wait on an unstructured task). The limit is generous: beside the other suites on a
    // loaded machine, creating and dropping the scratch database alone has taken over 20 seconds (DROP DATABASE
    // waits for a checkpoint). PostgresClosedConnectionTests covers the mechanism directly.
    @Test(.timeLimit(.minutes(3)))
    func sessionKilledDuringCommitIsReportedFailedAndNothingIsStored() async throws {
        try await TestBackend.postgres.withStore { store, backend in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id)).conversation.id
            _ = try await store.append([Fixtures.draft(conversation, from: alice.id, "before", clientID: "b0")])
            try await PostgresCommitFaults.slowDownCommits(backend)
            let drafts = [
                Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1"), Fixtures.draft(conversation, from: bob.id, "two"),
                // A retry of an earlier message in the same batch: its answer does not depend on this commit.
                Fixtures.draft(conversation, from: alice.id, "before", clientID: "b0"),
            ]
            let append = Task { try await store.appendMessages(drafts) }
            let killed = try await PostgresCommitFaults.terminateRunningCommit(using: backend)
            #expect(killed, "the COMMIT was seen running and its session terminated")
            let results = try await BoundedWait.value(of: append, within: .seconds(30), "the append whose COMMIT lost its session")
            for result in results.prefix(2) {
                #expect(throws: ChatError.self) { try result.get() }
            }
            #expect(try results[2].get().outcome.isNew == false)
            try await PostgresCommitFaults.restoreCommits(backend)
            let stored = try await store.messages(conversationID: conversation, range: .latest, limit: 10)
            #expect(stored.map(\.seq) == [1])
            // The retry stores it now, with the next seq: nothing was given out twice.
            let retry = try await store.append([Fixtures.draft(conversation, from: alice.id, "one", clientID: "c1")])
            #expect(retry.first?.isNew == true)
            #expect(retry.first?.message.seq == 2)
        }
    }
}
