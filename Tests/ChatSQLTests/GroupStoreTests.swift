import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import SQLKit
import Testing

/// Group membership on real databases, through the real ``GroupService`` rules over the real store: the
/// race-safety claims (limit, succession, deletion, no posting after removal) are checked under concurrency.
@Suite("ChatSQL: groups")
struct GroupStoreTests {
    static func users(_ store: SQLChatStore, _ prefix: String, count: Int) async throws -> [Int64] {
        var ids: [Int64] = []
        for i in 0..<count { ids.append(try await store.insertUser(Fixtures.user("\(prefix)\(i)")).id) }
        return ids
    }

    static func group(_ store: SQLChatStore, admins: [Int64], members: [Int64], title: String = "Team") async throws -> Conversation {
        try await store.createGroupConversation(
            NewConversation(
                id: Fixtures.ids.next(), kind: .group, title: title, directKey: nil,
                members: admins.map { ($0, .admin) } + members.map { ($0, .member) }, createdAt: Date()))
    }

    static func count(_ backend: any SQLBackend, _ table: String, conversationID: Int64) async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE conversation_id = \(bind: conversationID)")
                .first(decodingColumn: "n", as: Int.self) ?? -1
        }
    }

    @Test("a 250-member group is created in one go with its roles; members see it, others do not", arguments: TestBackend.all)
    func createLarge(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let ids = try await Self.users(store, "m", count: 251)
            let group = try await Self.group(store, admins: [ids[0]], members: Array(ids[1..<250]))
            #expect(group.kind == .group)
            #expect(group.title == "Team")
            #expect(group.members.count == 250)
            #expect(group.members.filter { $0.role == .admin }.map(\.user.id) == [ids[0]])
            #expect(Set(try await store.memberIDs(conversationID: group.id) ?? []) == Set(ids[0..<250]))
            #expect(try await store.conversation(id: group.id, memberID: ids[249]) != nil)
            #expect(try await store.conversation(id: group.id, memberID: ids[250]) == nil)
        }
    }

    @Test("60 concurrent adds of 10 users each stop exactly at 500 members", arguments: TestBackend.all)
    func concurrentAddsRespectLimit(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let service = GroupService(store: store, ids: Fixtures.ids)
            let admin = try await store.insertUser(Fixtures.user("admin")).id
            let first = try await Self.users(store, "f", count: 9)
            let candidates = try await Self.users(store, "c", count: 600)
            let group = try await Self.group(store, admins: [admin], members: first)
            let outcomes = await withTaskGroup(of: Result<GroupChange, any Error>.self) { tasks in
                for batch in 0..<60 {
                    let ids = Array(candidates[(batch * 10)..<(batch * 10 + 10)])
                    tasks.addTask {
                        do { return .success(try await service.addMembers(callerID: admin, conversationID: group.id, userIDs: ids)) }
                        catch { return .failure(error) }
                    }
                }
                return await tasks.reduce(into: []) { $0.append($1) }
            }
            let added = outcomes.compactMap { try? $0.get() }
            let refusals = outcomes.compactMap { result -> (any Error)? in if case .failure(let e) = result { e } else { nil } }
            #expect(added.count == 49)
            #expect(refusals.count == 11)
            #expect(refusals.allSatisfy { ($0 as? ChatError) == .validation("a group has at most 500 members", field: "userIds") })
            #expect(try await store.memberIDs(conversationID: group.id)?.count == 500)
            // Each successful change saw the group grow by exactly its own ten.
            #expect(Set(added.map(\.memberIDs.count)) == Set(stride(from: 20, through: 500, by: 10)))
            #expect(added.allSatisfy { $0.addedMemberIDs.count == 10 && $0.changed })
        }
    }

    @Test("two admins leaving at the same moment leave the longest-standing member as admin", arguments: TestBackend.all)
    func concurrentAdminLeaves(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let service = GroupService(store: store, ids: Fixtures.ids)
            for round in 0..<5 {
                let ids = try await Self.users(store, "r\(round)_", count: 4)
                let group = try await Self.group(store, admins: [ids[0], ids[1]], members: [ids[2], ids[3]])
                let changes = try await withThrowingTaskGroup(of: GroupChange.self) { tasks in
                    for admin in ids[0...1] { tasks.addTask { try await service.leave(callerID: admin, conversationID: group.id) } }
                    return try await tasks.reduce(into: []) { $0.append($1) }
                }
                let after = try #require(try await store.conversation(id: group.id, memberID: ids[2]))
                #expect(after.members.map(\.user.id).sorted() == [ids[2], ids[3]])
                #expect(after.members.filter { $0.role == .admin }.map(\.user.id) == [ids[2]], "round \(round)")
                // Exactly one of the two leaves saw itself as the last admin and promoted.
                #expect(changes.flatMap(\.promotedMemberIDs) == [ids[2]])
                #expect(Set(changes.flatMap(\.removedMemberIDs)) == [ids[0], ids[1]])
            }
        }
    }

    @Test("everyone leaving at once deletes the group, its members and messages exactly once", arguments: TestBackend.all)
    func concurrentLastLeaves(database: TestBackend) async throws {
        try await database.withStore { store, backend in
            let service = GroupService(store: store, ids: Fixtures.ids)
            let ids = try await Self.users(store, "p", count: 8)
            let group = try await Self.group(store, admins: [ids[0]], members: Array(ids[1...]))
            _ = try await store.append((0..<5).map { Fixtures.draft(group.id, from: ids[$0]) })
            #expect(try await Self.count(backend, "messages", conversationID: group.id) == 5)
            let changes = try await withThrowingTaskGroup(of: GroupChange.self) { tasks in
                for id in ids { tasks.addTask { try await service.leave(callerID: id, conversationID: group.id) } }
                return try await tasks.reduce(into: []) { $0.append($1) }
            }
            #expect(changes.filter(\.deleted).count == 1)
            #expect(changes.filter(\.deleted).first?.memberIDs.isEmpty == true)
            #expect(try await store.memberIDs(conversationID: group.id) == nil)
            #expect(try await Self.count(backend, "messages", conversationID: group.id) == 0)
            #expect(try await Self.count(backend, "conversation_members", conversationID: group.id) == 0)
            await #expect(throws: ChatError.notFound("conversation not found")) {
                _ = try await service.leave(callerID: ids[0], conversationID: group.id)
            }
        }
    }

    @Test("sends racing a removal: every message stored from the removed member precedes the removal", arguments: TestBackend.all)
    func sendRacingRemoval(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let service = GroupService(store: store, ids: Fixtures.ids)
            let appender = MessageAppender(store: store)
            let ids = try await Self.users(store, "s", count: 3)
            let group = try await Self.group(store, admins: [ids[0]], members: [ids[1], ids[2]])
            async let removal: GroupChange = {
                try await Task.sleep(for: .milliseconds(5))
                return try await service.removeMember(callerID: ids[0], conversationID: group.id, userID: ids[1])
            }()
            let sends = await withTaskGroup(of: Result<AppendOutcome, any Error>.self) { tasks in
                for i in 0..<100 {
                    tasks.addTask {
                        do { return .success(try await appender.append(Fixtures.draft(group.id, from: ids[1], "m\(i)")).outcome) }
                        catch { return .failure(error) }
                    }
                }
                return await tasks.reduce(into: []) { $0.append($1) }
            }
            let removed = try await removal
            let stored = sends.compactMap { try? $0.get().message }
            let refused = sends.compactMap { result -> (any Error)? in if case .failure(let e) = result { e } else { nil } }
            #expect(stored.count + refused.count == 100)
            #expect(refused.allSatisfy { ($0 as? ChatError) == .notFound("conversation not found") })
            #expect(stored.allSatisfy { $0.seq <= removed.conversation!.lastSeq })
            #expect(removed.conversation?.lastSeq == Int64(stored.count))
            // Afterwards the removed member cannot post at all.
            await #expect(throws: ChatError.notFound("conversation not found")) {
                _ = try await store.append([Fixtures.draft(group.id, from: ids[1])])
            }
            #expect(try await store.conversation(id: group.id, memberID: ids[0])?.lastSeq == Int64(stored.count))
        }
    }

    @Test("contactIDs: everyone sharing any conversation, once each, never the user", arguments: TestBackend.all)
    func contacts(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let ids = try await Self.users(store, "k", count: 6)
            _ = try await store.findOrCreateDirectConversation(Fixtures.direct(ids[0], ids[1]))
            _ = try await Self.group(store, admins: [ids[0]], members: [ids[1], ids[2]])
            _ = try await Self.group(store, admins: [ids[3]], members: [ids[0], ids[2]])
            _ = try await store.findOrCreateDirectConversation(Fixtures.direct(ids[4], ids[5]))
            #expect(try await store.contactIDs(userID: ids[0]).sorted() == [ids[1], ids[2], ids[3]].sorted())
            #expect(try await store.contactIDs(userID: ids[3]).sorted() == [ids[0], ids[2]].sorted())
            #expect(try await store.contactIDs(userID: ids[5]) == [ids[4]])
            let loner = try await store.insertUser(Fixtures.user("loner")).id
            #expect(try await store.contactIDs(userID: loner).isEmpty)
            let service = GroupService(store: store, ids: Fixtures.ids)
            let theirs = try #require(try await store.conversations(memberID: ids[3], after: nil, limit: 5).first?.id)
            _ = try await service.leave(callerID: ids[3], conversationID: theirs)
            #expect(try await store.contactIDs(userID: ids[3]).isEmpty)
        }
    }

    @Test("each operation reports who to tell: new, update and removed recipients, per-member views", arguments: TestBackend.all)
    func changeRecipients(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let service = GroupService(store: store, ids: Fixtures.ids)
            let ids = try await Self.users(store, "e", count: 5)
            let (ann, ben, cat, dan, eve) = (ids[0], ids[1], ids[2], ids[3], ids[4])

            let created = try await service.createGroup(callerID: ann, title: " Crew ", memberIDs: [ben, cat])
            let id = created.conversationID
            #expect(created.reason == .created && created.changed && !created.deleted)
            #expect(created.newRecipientIDs == [ben, cat])
            #expect(created.updateRecipientIDs.isEmpty, "the creator has the REST answer")
            #expect(Set(created.memberIDs) == [ann, ben, cat])
            #expect(created.view(for: ben)?.conversation.title == "Crew")
            #expect(created.view(for: dan) == nil)

            _ = try await store.append([Fixtures.draft(id, from: ben)])
            let renamed = try await service.rename(callerID: ann, conversationID: id, title: "Crew 2")
            #expect(renamed.newRecipientIDs.isEmpty)
            #expect(Set(renamed.updateRecipientIDs) == [ann, ben, cat])
            #expect(renamed.view(for: cat)?.unreadCount == 1)
            #expect(renamed.view(for: ben)?.unreadCount == 1, "unread is per viewer: ben has not marked his own message read")

            let added = try await service.addMembers(callerID: ann, conversationID: id, userIDs: [dan, ben])
            #expect(added.addedMemberIDs == [dan])
            #expect(added.newRecipientIDs == [dan])
            #expect(Set(added.updateRecipientIDs) == [ann, ben, cat])
            #expect(added.view(for: dan)?.unreadCount == 0)

            let again = try await service.addMembers(callerID: ann, conversationID: id, userIDs: [dan])
            #expect(!again.changed)
            #expect(again.newRecipientIDs.isEmpty && again.updateRecipientIDs.isEmpty && again.removedMemberIDs.isEmpty)

            let removed = try await service.removeMember(callerID: ann, conversationID: id, userID: cat)
            #expect(removed.removedMemberIDs == [cat])
            #expect(Set(removed.updateRecipientIDs) == [ann, ben, dan])
            #expect(removed.view(for: cat) == nil)
            #expect(removed.promotedMemberIDs.isEmpty)

            let annLeft = try await service.leave(callerID: ann, conversationID: id)
            #expect(annLeft.removedMemberIDs == [ann])
            #expect(annLeft.promotedMemberIDs == [ben])
            #expect(annLeft.view(for: ben)?.conversation.member(ben)?.role == .admin)
            #expect(Set(annLeft.updateRecipientIDs) == [ben, dan])

            await #expect(throws: ChatError.forbidden("only group admins can add members")) {
                _ = try await service.addMembers(callerID: dan, conversationID: id, userIDs: [eve])
            }
            _ = try await service.leave(callerID: dan, conversationID: id)
            let last = try await service.leave(callerID: ben, conversationID: id)
            #expect(last.deleted)
            #expect(last.removedMemberIDs == [ben])
            #expect(last.memberIDs.isEmpty && last.updateRecipientIDs.isEmpty)
        }
    }

    @Test("sends racing a recipient's removal: no message stored after the removal lists them as an audience", arguments: TestBackend.all)
    func audienceRacingRemoval(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let ids = Fixtures.ids
            let groups = GroupService(store: store, ids: ids)
            let conversations = ConversationService(store: store, ids: ids)
            let messages = MessageService(store: store, conversations: conversations, appender: MessageAppender(store: store), ids: ids)
            let users = try await Self.users(store, "a", count: 3)
            let (admin, sender, leaver) = (users[0], users[1], users[2])
            let group = try await Self.group(store, admins: [admin], members: [sender, leaver])
            async let removal: GroupChange = {
                try await Task.sleep(for: .milliseconds(5))
                return try await groups.removeMember(callerID: admin, conversationID: group.id, userID: leaver)
            }()
            let results = try await withThrowingTaskGroup(of: AppendedMessage.self) { tasks in
                for i in 0..<100 {
                    tasks.addTask { try await messages.send(callerID: sender, conversationID: group.id, content: "m\(i)", clientMessageID: nil) }
                }
                return try await tasks.reduce(into: []) { $0.append($1) }
            }
            let removedAt = try #require(try await removal.conversation?.lastSeq)
            #expect(results.count == 100)
            for result in results where result.message.seq > removedAt {
                #expect(!result.memberIDs.contains(leaver), "seq \(result.message.seq) was stored after the removal (at \(removedAt))")
            }
            #expect(results.allSatisfy { $0.memberIDs.contains(sender) && $0.memberIDs.contains(admin) })
        }
    }
}
