import ChatCore
import ChatTestSupport
import Foundation
import MariaDB
import Synchronization
import Testing

import ChatSQL

/// A batch whose COMMIT loses its connection on a real MariaDB: the store reads what was stored instead of guessing
/// or retrying. The faults are real: the session is killed on the server, or the socket is cut after the server
/// committed and before its reply is read (``CommitFaultInjector``).
@Suite struct UnknownCommitTests {
    private func withMariaDB(_ body: (SQLChatStore, MySQLBackend) async throws -> Void) async throws {
        try await TestBackend.mariadb.withStore { store, backend in
            let mysql = try #require(backend as? MySQLBackend)
            try await body(store, mysql)
        }
    }

    private func setUp(_ store: SQLChatStore) async throws -> (conversation: Int64, alice: Int64, bob: Int64) {
        let alice = try await store.insertUser(Fixtures.user("alice"))
        let bob = try await store.insertUser(Fixtures.user("bob"))
        let conversation = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id)).conversation
        return (conversation.id, alice.id, bob.id)
    }

    @Test func committedButReplyLostIsReportedStoredExactlyOnce() async throws {
        try await withMariaDB { store, backend in
            let (conversation, alice, bob) = try await setUp(store)
            _ = try await store.append([Fixtures.draft(conversation, from: alice, "before")])
            let drafts = [
                Fixtures.draft(conversation, from: alice, "one", clientID: "c1"), Fixtures.draft(conversation, from: bob, "two"),
                Fixtures.draft(conversation, from: alice, "three", clientID: "c3"),
            ]
            backend.client.commitFaults.inject(.replyLost)
            let results = try await store.appendMessages(drafts)
            let outcomes = try results.map { try $0.get().outcome }
            #expect(outcomes.allSatisfy { $0.isNew }, "every draft reported as newly stored: \(outcomes)")
            #expect(outcomes.map(\.message.seq) == [2, 3, 4])
            #expect(outcomes.map(\.message.id) == drafts.map(\.id))
            let stored = try await store.messages(conversationID: conversation, range: .latest, limit: 10)
            #expect(stored.map(\.seq) == [1, 2, 3, 4])
            #expect(stored.suffix(3).map(\.id) == drafts.map(\.id))
            // The sender's retry finds the stored message: no duplicate, nothing new to deliver.
            let retry = try await store.append([Fixtures.draft(conversation, from: alice, "one", clientID: "c1")])
            #expect(retry.first?.isNew == false)
            #expect(retry.first?.message.id == drafts[0].id)
        }
    }

    @Test func killedBeforeCommitIsReportedFailedAndNothingIsStored() async throws {
        try await withMariaDB { store, backend in
            let (conversation, alice, bob) = try await setUp(store)
            _ = try await store.append([Fixtures.draft(conversation, from: alice, "before", clientID: "b0")])
            let drafts = [
                Fixtures.draft(conversation, from: alice, "one", clientID: "c1"), Fixtures.draft(conversation, from: bob, "two"),
                // A retry of an earlier message in the same batch: its answer does not depend on this commit.
                Fixtures.draft(conversation, from: alice, "before", clientID: "b0"),
            ]
            backend.client.commitFaults.inject(.killedBeforeCommit)
            let results = try await store.appendMessages(drafts)
            for result in results.prefix(2) {
                #expect(throws: ChatError.self) { try result.get() }
            }
            #expect(try results[2].get().outcome.isNew == false)
            let stored = try await store.messages(conversationID: conversation, range: .latest, limit: 10)
            #expect(stored.map(\.seq) == [1])
            // The retry stores it now, with the next seq: nothing was given out twice.
            let retry = try await store.append([Fixtures.draft(conversation, from: alice, "one", clientID: "c1")])
            #expect(retry.first?.isNew == true)
            #expect(retry.first?.message.seq == 2)
        }
    }

    @Test func appenderDeliversACommitWithALostReplyOnce() async throws {
        try await withMariaDB { store, backend in
            let (conversation, alice, _) = try await setUp(store)
            let delivered = Mutex<[Int64]>([])
            let appender = MessageAppender(store: store, deliver: { batch in delivered.withLock { $0 += batch.map(\.message.seq) } })
            backend.client.commitFaults.inject(.replyLost)
            let appended = try await appender.append(Fixtures.draft(conversation, from: alice, "lost reply", clientID: "x"))
            #expect(appended.outcome.isNew && appended.message.seq == 1)
            #expect(delivered.withLock { $0 } == [1])
            backend.client.commitFaults.inject(.killedBeforeCommit)
            await #expect(throws: ChatError.self) {
                _ = try await appender.append(Fixtures.draft(conversation, from: alice, "killed", clientID: "y"))
            }
            #expect(delivered.withLock { $0 } == [1])
        }
    }
}
