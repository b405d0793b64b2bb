import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// PresenceService and the contacts query over a real store on every backend.
@Suite struct PresenceServiceTests {
    /// Everything the publisher was handed, in order.
    final class Published: Sendable {
        private let items = Mutex<[(change: PresenceChange, audience: [Int64])]>([])
        func append(_ change: PresenceChange, _ audience: [Int64]) { items.withLock { $0.append((change, audience)) } }
        var all: [(change: PresenceChange, audience: [Int64])] { items.withLock { $0 } }
        func changes(of user: Int64) -> [Bool] { all.filter { $0.change.userID == user }.map(\.change.online) }
    }

    @Test(arguments: TestBackend.all)
    func onlineAtTheFirstConnectionOfflineAfterTheLast(_ backend: TestBackend) async throws {
        try await backend.withStore { store, _ in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            _ = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id))
            let presence = PresenceService(store: store, logger: TestBackend.logger)
            let published = Published()
            presence.setPublisher { published.append($0, $1) }

            #expect(!presence.isOnline(alice.id))
            #expect(presence.connected(userID: alice.id))
            #expect(presence.isOnline(alice.id))
            #expect(!presence.connected(userID: alice.id), "a second device is not a change")
            #expect(presence.connectionCount(alice.id) == 2)
            #expect(!presence.disconnected(userID: alice.id), "one device left, still online")
            #expect(presence.isOnline(alice.id))
            let leftAt = Date(timeIntervalSince1970: 1_800_000_000.123_9)
            #expect(presence.disconnected(userID: alice.id, at: leftAt))
            #expect(!presence.isOnline(alice.id))
            await presence.settle()

            let all = published.all
            #expect(all.map(\.change.online) == [true, false])
            #expect(all.allSatisfy { $0.change.userID == alice.id && $0.audience == [bob.id] })
            // Whole milliseconds, and exactly what the store now holds.
            #expect(all[1].change.lastSeenAt == Date(timeIntervalSince1970: 1_800_000_000.123))
            let stored = try await store.user(id: alice.id)
            #expect(stored?.lastSeenAt == all[1].change.lastSeenAt)
        }
    }

    @Test(arguments: TestBackend.all)
    func aDisconnectWithoutAConnectChangesNothing(_ backend: TestBackend) async throws {
        try await backend.withStore { store, _ in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let presence = PresenceService(store: store, logger: TestBackend.logger)
            let published = Published()
            presence.setPublisher { published.append($0, $1) }
            #expect(!presence.disconnected(userID: alice.id))
            #expect(presence.connectionCount(alice.id) == 0)
            await presence.settle()
            #expect(published.all.isEmpty)
            #expect(try await store.user(id: alice.id)?.lastSeenAt == nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func theAudienceIsEveryoneSharingAConversationAndNobodyElse(_ backend: TestBackend) async throws {
        try await backend.withStore { store, _ in
            var users: [String: Int64] = [:]
            for name in ["alice", "bob", "carol", "dave", "stranger"] {
                users[name] = try await store.insertUser(Fixtures.user(name)).id
            }
            let (alice, bob, carol, dave, stranger) = (users["alice"]!, users["bob"]!, users["carol"]!, users["dave"]!, users["stranger"]!)
            for (a, b) in [(alice, bob), (carol, alice), (bob, carol), (dave, carol)] {
                _ = try await store.findOrCreateDirectConversation(Fixtures.direct(a, b))
            }
            let presence = PresenceService(store: store, logger: TestBackend.logger)
            #expect(Set(try await presence.audience(of: alice)) == [bob, carol])
            #expect(try await presence.audience(of: alice).count == 2, "no duplicates")
            #expect(Set(try await presence.audience(of: carol)) == [alice, bob, dave])
            #expect(try await presence.audience(of: dave) == [carol])
            #expect(try await presence.audience(of: stranger) == [])
            #expect(try await store.contactIDs(userID: 987_654_321) == [])
        }
    }

    @Test(arguments: TestBackend.all)
    func concurrentConnectsAndDisconnectsArePublishedInTheOrderTheyHappened(_ backend: TestBackend) async throws {
        try await backend.withStore { store, _ in
            var userIDs: [Int64] = []
            for n in 0..<8 { userIDs.append(try await store.insertUser(Fixtures.user("user\(n)")).id) }
            let presence = PresenceService(store: store, logger: TestBackend.logger)
            let published = Published()
            presence.setPublisher { change, audience in
                // A slow publisher widens every window in which a later change could overtake an earlier one.
                try? await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                published.append(change, audience)
            }
            // Each user flaps between online and offline from many tasks at once; every task leaves as it came.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in userIDs {
                    for _ in 0..<10 {
                        group.addTask {
                            for _ in 0..<20 {
                                presence.connected(userID: user)
                                await Task.yield()
                                presence.disconnected(userID: user)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            await presence.settle()
            for user in userIDs {
                let changes = published.changes(of: user)
                #expect(!presence.isOnline(user))
                #expect(!changes.isEmpty)
                // Strictly alternating, starting online and ending offline: never two of a kind in a row.
                #expect(changes.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0) }, "user \(user): \(changes)")
                #expect(changes.last == false)
                #expect(try await store.user(id: user)?.lastSeenAt != nil)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func usersLeavingTogetherEachHaveTheirOwnLastSeenStoredBeforeItIsAnnounced(_ backend: TestBackend) async throws {
        try await backend.withStore { store, _ in
            var userIDs: [Int64] = []
            for n in 0..<40 { userIDs.append(try await store.insertUser(Fixtures.user("leaver\(n)")).id) }
            let presence = PresenceService(store: store, logger: TestBackend.logger)
            let storedWhenAnnounced = Mutex<[Int64: Date]>([:])
            presence.setPublisher { change, _ in
                guard !change.online, let stored = try? await store.user(id: change.userID)?.lastSeenAt else { return }
                storedWhenAnnounced.withLock { $0[change.userID] = stored }
            }
            for user in userIDs { presence.connected(userID: user) }
            await presence.settle()
            // All at once, so that their writes share transactions.
            let base = 1_800_000_000.0
            for (n, user) in userIDs.enumerated() {
                presence.disconnected(userID: user, at: Date(timeIntervalSince1970: base + Double(n)))
            }
            await presence.settle()
            for (n, user) in userIDs.enumerated() {
                let expected = Date(timeIntervalSince1970: base + Double(n))
                #expect(try await store.user(id: user)?.lastSeenAt == expected)
                #expect(storedWhenAnnounced.withLock { $0[user] } == expected, "stored before the offline change went out")
            }
        }
    }

    // MARK: The offline grace

    /// Alice and bob share a conversation; `presence` has the given grace and records into `published`.
    private func withContacts(
        on backend: TestBackend, grace: Duration, _ body: @escaping (SQLChatStore, User, PresenceService, Published) async throws -> Void
    ) async throws {
        try await backend.withStore { store, _ in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            _ = try await store.findOrCreateDirectConversation(Fixtures.direct(alice.id, bob.id))
            let presence = PresenceService(store: store, logger: TestBackend.logger, offlineGrace: grace)
            let published = Published()
            presence.setPublisher { published.append($0, $1) }
            try await body(store, alice, presence, published)
        }
    }

    @Test(arguments: TestBackend.all)
    func aReconnectWithinTheGraceAnnouncesNothingAndWritesNothing(_ backend: TestBackend) async throws {
        try await withContacts(on: backend, grace: .seconds(30)) { store, alice, presence, published in

            #expect(presence.connected(userID: alice.id))
            await presence.settle()
            let stored = try await store.user(id: alice.id)?.lastSeenAt
            #expect(stored != nil)
            for _ in 0..<50 {
                #expect(presence.disconnected(userID: alice.id), "the last connection went")
                #expect(presence.isOnline(alice.id), "online while the grace runs")
                #expect(!presence.connected(userID: alice.id), "a reconnect within the grace is no change")
            }
            // Wait for anything the flaps might have queued.
            try await Task.sleep(for: .milliseconds(100))
            #expect(published.changes(of: alice.id) == [true])
            #expect(try await store.user(id: alice.id)?.lastSeenAt == stored, "no lastSeenAt write for a flap")
            #expect(presence.isOnline(alice.id))
        }
    }

    @Test(arguments: TestBackend.all)
    func offlineIsAnnouncedOnceTheGracePassesWithTheTimeOfTheDisconnect(_ backend: TestBackend) async throws {
        try await withContacts(on: backend, grace: .milliseconds(300)) { store, alice, presence, published in

            presence.connected(userID: alice.id)
            await presence.settle()
            let leftAt = Date(timeIntervalSince1970: 1_800_000_000.5)
            presence.disconnected(userID: alice.id, at: leftAt)
            try await Task.sleep(for: .milliseconds(100))
            #expect(published.changes(of: alice.id) == [true], "nothing yet within the grace")
            #expect(presence.isOnline(alice.id))
            var waited = 0
            while published.changes(of: alice.id).count < 2, waited < 100 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            await presence.settle()
            #expect(published.changes(of: alice.id) == [true, false])
            #expect(!presence.isOnline(alice.id))
            #expect(published.all.last?.change.lastSeenAt == leftAt)
            #expect(try await store.user(id: alice.id)?.lastSeenAt == leftAt)
        }
    }

    @Test(arguments: TestBackend.all)
    func settleAnnouncesOfflineChangesStillInTheirGrace(_ backend: TestBackend) async throws {
        try await backend.withStore { store, _ in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let presence = PresenceService(store: store, logger: TestBackend.logger, offlineGrace: .seconds(60))
            let published = Published()
            presence.setPublisher { published.append($0, $1) }
            presence.connected(userID: alice.id)
            let leftAt = Date(timeIntervalSince1970: 1_800_000_100)
            presence.disconnected(userID: alice.id, at: leftAt)
            await presence.settle()
            #expect(published.changes(of: alice.id) == [true, false])
            #expect(!presence.isOnline(alice.id))
            #expect(try await store.user(id: alice.id)?.lastSeenAt == leftAt)
        }
    }
}
