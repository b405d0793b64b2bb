import ChatTestSupport
import Foundation
import Testing

@Suite("REST: groups — removing, leaving, succession, reading")
struct GroupMembershipAPITests {
    @Test("an admin removes a member: 200 with the group; the removed member gets 404 everywhere and loses it from their list", arguments: TestBackend.servers)
    func removedMemberLosesAccess(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let id = try await api.groupID(ann, members: [ben, cat])
            _ = try await api.send(ben, id, "before removal")
            let direct = try await api.conversationID(ann, with: ben)

            let removed = try await api.removeMember(ann, id, ben.id)
            #expect(removed.status == 200, "\(removed.raw)")
            #expect(removed.data?.roles == [ann.id: "admin", cat.id: "member"])

            let responses = [
                try await api.conversation(ben, id),
                try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: ben.accessToken),
                try await api.send(ben, id, "let me back"),
                try await api.request(.post, "/api/v1/conversations/\(id)/read", token: ben.accessToken, body: #"{"seq":1}"#),
                try await api.rename(ben, id, title: "x"),
                try await api.addMembers(ben, id, [ben]),
                try await api.removeMember(ben, id, ben.id),
            ]
            for response in responses {
                #expect(response.status == 404, "\(response.raw)")
                #expect(response.errorCode == "NOT_FOUND")
                #expect(!response.raw.contains("before removal"))
            }
            let list = try await api.request(.get, "/api/v1/conversations", token: ben.accessToken)
            #expect(list.data?.array?.compactMap { $0["id"]?.string } == [direct])
            // The others carry on; the removed member's message stays in the history.
            #expect(try await api.send(cat, id, "bye ben").data?["seq"]?.int == 2)
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: cat.accessToken)
            #expect(history.data?.array?.compactMap { $0["content"]?.string } == ["before removal", "bye ben"])

            // Re-added, they are a member again.
            #expect(try await api.addMembers(ann, id, [ben]).status == 200)
            #expect(try await api.conversation(ben, id).data?["unreadCount"]?.int == 0)
            #expect(try await api.send(ben, id, "back").status == 201)
        }
    }

    @Test("removal rules: non-admins may not remove others (403), anyone may leave, unknown targets are 404", arguments: TestBackend.servers)
    func removalRules(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let eve = try await api.register("eve")
            let id = try await api.groupID(ann, members: [ben, cat])

            let byMember = try await api.removeMember(ben, id, cat.id)
            #expect(byMember.status == 403)
            #expect(byMember.errorCode == "FORBIDDEN")
            let adminByMember = try await api.removeMember(ben, id, ann.id)
            #expect(adminByMember.status == 403)
            #expect(try await api.removeMember(eve, id, cat.id).status == 404)
            #expect(try await api.removeMember(eve, id, eve.id).status == 404)
            let notMember = try await api.removeMember(ann, id, eve.id)
            #expect(notMember.status == 404)
            #expect(notMember.errorCode == "NOT_FOUND")
            #expect(try await api.removeMember(ann, id, "nobody").status == 404)
            #expect(try await api.removeMember(ann, "999999", ben.id).status == 404)
            #expect(try await api.conversation(ann, id).data?["members"]?.array?.count == 3)

            let left = try await api.removeMember(cat, id, cat.id)
            #expect(left.status == 200, "\(left.raw)")
            #expect(left.data == .object(["conversationId": .string(id)]))
            #expect(try await api.conversation(cat, id).status == 404)
            #expect(try await api.conversation(ann, id).data?.roles == [ann.id: "admin", ben.id: "member"])

            let direct = try await api.conversationID(ann, with: ben)
            let directLeave = try await api.removeMember(ann, direct, ann.id)
            #expect(directLeave.status == 400)
            #expect(try await api.removeMember(ann, direct, ben.id).status == 400)
            #expect(try await api.conversation(ben, direct).status == 200)
        }
    }

    @Test("the last admin leaving promotes the longest-standing member: earliest join first, then the lowest id", arguments: TestBackend.servers)
    func succession(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            // Registered first, so the lowest id, but joins last: joining time wins over id.
            let zed = try await api.register("zed")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let id = try await api.groupID(ann, members: [cat, ben])
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await api.addMembers(ann, id, [zed]).status == 200)

            // ben and cat joined in the same instant: the lower id (ben registered before cat) wins.
            #expect(try await api.removeMember(ann, id, ann.id).status == 200)
            let afterAnn = try #require(try await api.conversation(ben, id).data)
            #expect(afterAnn.roles == [ben.id: "admin", cat.id: "member", zed.id: "member"])
            // The new admin can act as one.
            #expect(try await api.rename(ben, id, title: "Ben's").status == 200)
            #expect(try await api.rename(cat, id, title: "Cat's").status == 403)

            #expect(try await api.removeMember(ben, id, ben.id).status == 200)
            #expect(try await api.conversation(cat, id).data?.roles == [cat.id: "admin", zed.id: "member"])

            // An admin who is not the last one leaving promotes nobody.
            let other = try await api.groupID(zed, members: [ann, ben])
            _ = try await api.removeMember(zed, other, ann.id)
            #expect(try await api.conversation(zed, other).data?.roles == [zed.id: "admin", ben.id: "member"])
        }
    }

    @Test("when the last member leaves the group is gone for everyone, messages included", arguments: TestBackend.servers)
    func lastMemberLeaves(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.groupID(ann, members: [ben])
            _ = try await api.send(ben, id, "last words")
            #expect(try await api.removeMember(ann, id, ann.id).status == 200)
            #expect(try await api.conversation(ben, id).data?.roles == [ben.id: "admin"])
            // A group of one is still a group; its admin can invite again.
            let cat = try await api.register("cat")
            #expect(try await api.addMembers(ben, id, [cat]).status == 200)
            #expect(try await api.removeMember(ben, id, cat.id).status == 200)

            let last = try await api.removeMember(ben, id, ben.id)
            #expect(last.status == 200)
            #expect(last.data?["conversationId"]?.string == id)
            for user in [ann, ben, cat] {
                #expect(try await api.conversation(user, id).status == 404)
                #expect(try await api.request(.get, "/api/v1/conversations", token: user.accessToken).data?.array?.isEmpty == true)
            }
            #expect(try await api.removeMember(ben, id, ben.id).status == 404)
        }
    }

    @Test("unread counts, lastReadSeq and history are per member in a group", arguments: TestBackend.servers)
    func unreadPerMember(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let id = try await api.groupID(ann, members: [ben, cat])
            for i in 1...5 { _ = try await api.send(i.isMultiple(of: 2) ? ben : ann, id, "m\(i)") }

            let read = try await api.request(.post, "/api/v1/conversations/\(id)/read", token: ben.accessToken, body: #"{"seq":3}"#)
            #expect(read.status == 200)
            #expect(read.data?["lastReadSeq"]?.int == 3)
            let back = try await api.request(.post, "/api/v1/conversations/\(id)/read", token: ben.accessToken, body: #"{"seq":1}"#)
            #expect(back.data?["lastReadSeq"]?.int == 3, "lastReadSeq only moves forward")
            _ = try await api.request(.post, "/api/v1/conversations/\(id)/read", token: cat.accessToken, body: #"{"seq":99}"#)

            let unread = [ann.id: 5, ben.id: 2, cat.id: 0]
            for user in [ann, ben, cat] {
                let list = try await api.request(.get, "/api/v1/conversations", token: user.accessToken)
                #expect(list.data?[0]?["unreadCount"]?.int == unread[user.id], "\(user.username)")
                #expect(list.data?[0]?["lastSeq"]?.int == 5)
            }
            let view = try #require(try await api.conversation(ann, id).data)
            let lastRead = Dictionary(uniqueKeysWithValues: (view["members"]?.array ?? []).compactMap { m in
                m["id"]?.string.flatMap { id in m["lastReadSeq"]?.int.map { (id, $0) } }
            })
            #expect(lastRead == [ann.id: 0, ben.id: 3, cat.id: 5])

            let page = try await api.request(.get, "/api/v1/conversations/\(id)/messages?after=2&limit=2", token: cat.accessToken)
            #expect(page.data?.array?.compactMap { $0["seq"]?.int } == [3, 4])
            #expect(page.json["page"]?["hasMore"]?.bool == true)
        }
    }

    @Test("concurrency over REST: the admin leaving alongside others still leaves one admin; all leaving at once deletes the group", arguments: TestBackend.servers)
    func concurrentLeaves(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let users = try await api.registerMany("user", count: 6)
            let id = try await api.groupID(users[0], members: Array(users[1...]))
            let leavers = [users[0], users[1], users[3]]
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for user in leavers { group.addTask { try await api.removeMember(user, id, user.id).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == [200, 200, 200])
            // Everyone joined together, so the lowest remaining id is the longest-standing member.
            let remaining = [users[2], users[4], users[5]].map(\.id)
            let senior = try #require(remaining.min { Int64($0)! < Int64($1)! })
            let roles = try #require(try await api.conversation(users[2], id).data?.roles)
            #expect(roles == Dictionary(uniqueKeysWithValues: remaining.map { ($0, $0 == senior ? "admin" : "member") }))

            let rest = [users[2], users[4], users[5]]
            let last = try await withThrowingTaskGroup(of: (Int, JSON?).self) { group in
                for user in rest { group.addTask { let r = try await api.removeMember(user, id, user.id); return (r.status, r.data) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(last.map(\.0) == [200, 200, 200])
            #expect(last.allSatisfy { $0.1 == .object(["conversationId": .string(id)]) })
            for user in users { #expect(try await api.conversation(user, id).status == 404) }
        }
    }
}
