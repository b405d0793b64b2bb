import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Testing

@Suite("ChatSQL: store")
struct StoreTests {
    @Test("users: unique case-insensitively, credentials by key, search by prefix with cursor", arguments: TestBackend.all)
    func users(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let ann = try await store.insertUser(Fixtures.user("Ann"))
            await #expect(throws: ChatError.conflict("username is already taken", field: "username")) {
                _ = try await store.insertUser(Fixtures.user("aNN"))
            }
            _ = try await store.insertUser(Fixtures.user("anders"))
            _ = try await store.insertUser(Fixtures.user("bob", displayName: "Ánimo Bob"))
            _ = try await store.insertUser(Fixtures.user("zed", displayName: "Andy Z"))
            #expect(try await store.credentials(usernameKey: "ann")?.user.id == ann.id)
            #expect(try await store.credentials(usernameKey: "ANN") == nil, "keys are lower-cased by the caller")
            let an = try await store.searchUsers(prefixKey: "an", afterUsernameKey: nil, limit: 10).map(\.username)
            #expect(an == ["anders", "Ann", "zed"])
            let accented = try await store.searchUsers(prefixKey: "ánimo", afterUsernameKey: nil, limit: 10).map(\.username)
            #expect(accented == ["bob"])
            let after = try await store.searchUsers(prefixKey: nil, afterUsernameKey: "ann", limit: 2).map(\.username)
            #expect(after == ["bob", "zed"])
            #expect(try await store.users(ids: [ann.id, 999]).map(\.id) == [ann.id])
            let seen = Date(timeIntervalSince1970: 1_800_000_000.123)
            try await store.setLastSeen(userID: ann.id, at: seen)
            #expect(try await store.user(id: ann.id)?.lastSeenAt == seen)
        }
    }

    @Test("lastSeenAt of several users in one call: each gets its own time, other users are untouched", arguments: TestBackend.all)
    func lastSeenBatch(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let ann = try await store.insertUser(Fixtures.user("ann"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            let cy = try await store.insertUser(Fixtures.user("cy"))
            let earlier = Date(timeIntervalSince1970: 1_800_000_000.5)
            try await store.setLastSeen(userID: cy.id, at: earlier)
            let annSeen = Date(timeIntervalSince1970: 1_800_000_100.25)
            let bobSeen = Date(timeIntervalSince1970: 1_800_000_200.75)
            try await store.setLastSeen([bob.id: bobSeen, ann.id: annSeen, 999_999: bobSeen])
            try await store.setLastSeen([:])
            #expect(try await store.user(id: ann.id)?.lastSeenAt == annSeen)
            #expect(try await store.user(id: bob.id)?.lastSeenAt == bobSeen)
            #expect(try await store.user(id: cy.id)?.lastSeenAt == earlier)
        }
    }

    @Test("direct conversations: 20 concurrent creates give one conversation, created once", arguments: TestBackend.all)
    func concurrentDirect(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let a = try await store.insertUser(Fixtures.user("a_user"))
            let b = try await store.insertUser(Fixtures.user("b_user"))
            let results = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let r = try await store.findOrCreateDirectConversation(i.isMultiple(of: 2) ? Fixtures.direct(a.id, b.id) : Fixtures.direct(b.id, a.id))
                        return (r.conversation.id, r.created)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.0)).count == 1)
            #expect(results.filter(\.1).count == 1)
            let id = results[0].0
            #expect(Set(try await store.memberIDs(conversationID: id) ?? []) == [a.id, b.id])
            #expect(try await store.conversation(id: id, memberID: a.id)?.members.count == 2)
            let stranger = try await store.insertUser(Fixtures.user("c_user"))
            #expect(try await store.conversation(id: id, memberID: stranger.id) == nil)
            #expect(try await store.memberIDs(conversationID: 12345) == nil)
        }
    }

    @Test("appends: gapless seqs under 50 concurrent appends, idempotent client ids", arguments: TestBackend.all)
    func appends(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let a = try await store.insertUser(Fixtures.user("a_user"))
            let b = try await store.insertUser(Fixtures.user("b_user"))
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(a.id, b.id)).conversation.id
            let seqs = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<50 {
                    group.addTask { try await store.append([Fixtures.draft(id, from: i.isMultiple(of: 2) ? a.id : b.id)])[0].message.seq }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(seqs.sorted() == Array(1...50))

            // A batch with a retry inside it: the duplicate returns the first and takes no number.
            let batch = try await store.append([
                Fixtures.draft(id, from: a.id, "x", clientID: "k1"),
                Fixtures.draft(id, from: a.id, "x again", clientID: "k1"),
                Fixtures.draft(id, from: b.id, "y", clientID: "k1"),
            ])
            #expect(batch.map(\.isNew) == [true, false, true])
            #expect(batch.map(\.message.seq) == [51, 51, 52])
            #expect(batch[1].message.content == "x")
            let retried = try await store.append([Fixtures.draft(id, from: a.id, "x", clientID: "k1")])
            #expect(retried == [.existing(batch[0].message)])
            #expect(try await store.append([Fixtures.draft(id, from: a.id)])[0].message.seq == 53)
            let view = try #require(try await store.conversation(id: id, memberID: a.id))
            #expect(view.lastSeq == 53)
            #expect(view.lastMessage?.seq == 53)
        }
    }

    @Test("a failing draft fails alone: its neighbours are stored, it takes no seq, each result carries the audience", arguments: TestBackend.all)
    func failingDraftFailsAlone(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let a = try await store.insertUser(Fixtures.user("a_user"))
            let b = try await store.insertUser(Fixtures.user("b_user"))
            let c = try await store.insertUser(Fixtures.user("c_user"))
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(a.id, b.id)).conversation.id
            let results = try await store.appendMessages([
                Fixtures.draft(id, from: a.id), Fixtures.draft(987_654, from: a.id), Fixtures.draft(id, from: c.id), Fixtures.draft(id, from: b.id),
            ])
            #expect(try results[0].get().message.seq == 1)
            #expect(results[1] == .failure(.notFound("conversation not found")))
            #expect(results[2] == .failure(.notFound("conversation not found")))
            #expect(try results[3].get().message.seq == 2)
            #expect(try results[0].get().memberIDs.sorted() == [a.id, b.id].sorted())
            #expect(try await store.append([Fixtures.draft(id, from: a.id)])[0].message.seq == 3)
            #expect(try await store.conversation(id: id, memberID: a.id)?.lastSeq == 3)
        }
    }

    @Test("history ranges and read markers", arguments: TestBackend.all)
    func historyAndRead(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let a = try await store.insertUser(Fixtures.user("a_user"))
            let b = try await store.insertUser(Fixtures.user("b_user"))
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(a.id, b.id)).conversation.id
            for i in 1...10 { _ = try await store.append([Fixtures.draft(id, from: a.id, "m\(i)")]) }
            #expect(try await store.messages(conversationID: id, range: .latest, limit: 3).map(\.seq) == [8, 9, 10])
            #expect(try await store.messages(conversationID: id, range: .before(8), limit: 3).map(\.seq) == [5, 6, 7])
            #expect(try await store.messages(conversationID: id, range: .after(8), limit: 5).map(\.seq) == [9, 10])
            #expect(try await store.messages(conversationID: id, range: .after(0), limit: 2).map(\.content) == ["m1", "m2"])
            #expect(try await store.markRead(conversationID: id, userID: b.id, seq: 4) == 4)
            #expect(try await store.markRead(conversationID: id, userID: b.id, seq: 2) == 4)
            #expect(try await store.markRead(conversationID: id, userID: b.id, seq: 50) == 10)
            await #expect(throws: ChatError.self) { _ = try await store.markRead(conversationID: id, userID: 42, seq: 1) }
            let list = try await store.conversations(memberID: b.id, after: nil, limit: 10)
            #expect(list.map(\.id) == [id])
            #expect(ConversationView(conversation: list[0], viewerID: b.id).unreadCount == 0)
            #expect(ConversationView(conversation: list[0], viewerID: a.id).unreadCount == 10)
        }
    }

    @Test("refresh rotation has exactly one winner under concurrency; revoking a session", arguments: TestBackend.all)
    func refreshRotation(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let user = try await store.insertUser(Fixtures.user("rotator"))
            let session = AuthSession(id: Fixtures.ids.next(), userID: user.id, createdAt: Date())
            func token(_ hash: String) -> RefreshTokenRecord {
                RefreshTokenRecord(
                    id: Fixtures.ids.next(), sessionID: session.id, userID: user.id, tokenHash: hash, createdAt: Date(),
                    expiresAt: Date().addingTimeInterval(60))
            }
            let first = token("hash-0")
            try await store.createSession(session, firstToken: first)
            #expect(try await store.refreshToken(hash: "hash-0")?.id == first.id)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 1...10 {
                    group.addTask { try await store.rotateRefreshToken(tokenID: first.id, replacement: token("hash-\(i)"), at: Date()) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(wins.filter { $0 }.count == 1)
            #expect(try await store.refreshToken(hash: "hash-0")?.usedAt != nil)
            try await store.revokeSession(id: session.id, at: Date())
            #expect(try await store.session(id: session.id)?.revokedAt != nil)
        }
    }
}
