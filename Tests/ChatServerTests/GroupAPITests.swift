import ChatTestSupport
import Foundation
import Testing

@Suite("REST: groups — create, rename, add members")
struct GroupAPITests {
    @Test("create: 201, the creator is admin, title trimmed, every member sees it in their list", arguments: TestBackend.servers)
    func create(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let response = try await api.createGroup(ann, title: "  Weekend plans 🙂 ", members: [ben, cat])
            #expect(response.status == 201, "\(response.raw)")
            let group = try #require(response.data)
            #expect(group["type"]?.string == "group")
            #expect(group["title"]?.string == "Weekend plans 🙂")
            #expect(group.roles == [ann.id: "admin", ben.id: "member", cat.id: "member"])
            #expect(group["lastSeq"]?.int == 0)
            #expect(group["unreadCount"]?.int == 0)
            #expect(group["lastMessage"]?.isNull == true)
            let members = try #require(group["members"]?.array)
            #expect(members.allSatisfy { $0["lastReadSeq"]?.int == 0 && $0["username"] != nil && $0["online"]?.bool == false })
            let id = try #require(group["id"]?.string)
            for user in [ann, ben, cat] {
                let list = try await api.request(.get, "/api/v1/conversations", token: user.accessToken)
                #expect(list.data?.array?.compactMap { $0["id"]?.string } == [id])
                #expect(try await api.conversation(user, id).data?["title"]?.string == "Weekend plans 🙂")
            }
            // Listing yourself among the members is allowed and changes nothing.
            let withSelf = try await api.createGroup(ann, title: "Duo", memberIDs: [ann.id, ben.id])
            #expect(withSelf.status == 201)
            #expect(withSelf.data?.roles == [ann.id: "admin", ben.id: "member"])
            // Two groups of the same people are two groups (unlike a direct pair).
            let again = try await api.createGroup(ann, title: "Weekend plans 🙂", members: [ben, cat])
            #expect(again.status == 201)
            #expect(again.data?["id"]?.string != id)
        }
    }

    @Test(
        "create: invalid titles are 400 on title",
        arguments: TestBackend.servers, [#""title":"""#, #""title":"   ""#, #""title":"\#(String(repeating: "é", count: 101))""#, #""title":5"#, #""title":null"#, ""])
    func invalidTitle(_ backend: TestBackend, titleField: String) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let fields = [#""type":"group""#, #""memberIds":["\#(ben.id)"]"#, titleField].filter { !$0.isEmpty }
            let response = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: "{\(fields.joined(separator: ","))}")
            #expect(response.status == 400, "\(response.raw)")
            #expect(response.errorCode == "VALIDATION_ERROR")
            #expect(response.json["error"]?["details"]?["field"]?.string == "title")
            #expect(try await api.request(.get, "/api/v1/conversations", token: ben.accessToken).data?.array?.isEmpty == true)
        }
    }

    @Test("create: a title of 100 code points is accepted", arguments: TestBackend.servers)
    func longestTitle(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let title = String(repeating: "🙂", count: 100)
            let response = try await api.createGroup(ann, title: title, members: [ben])
            #expect(response.status == 201)
            #expect(response.data?["title"]?.string == title)
        }
    }

    @Test("create: unknown, duplicate, malformed or too few member ids are 400 on memberIds", arguments: TestBackend.servers)
    func invalidMembers(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let bodies = [
                api.json(["type": "group", "title": "t", "memberIds": [ben.id, "424242"]]),
                api.json(["type": "group", "title": "t", "memberIds": [ben.id, ben.id]]),
                api.json(["type": "group", "title": "t", "memberIds": [ben.id, "0\(ben.id)"]]),
                api.json(["type": "group", "title": "t", "memberIds": ["not-an-id"]]),
                api.json(["type": "group", "title": "t", "memberIds": [String]()]),
                api.json(["type": "group", "title": "t", "memberIds": [ann.id]]),
                #"{"type":"group","title":"t","memberIds":[5]}"#,
                #"{"type":"group","title":"t","memberIds":"\#(ben.id)"}"#,
                #"{"type":"group","title":"t"}"#,
            ]
            for body in bodies {
                let response = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: body)
                #expect(response.status == 400, "\(body): \(response.raw)")
                #expect(response.errorCode == "VALIDATION_ERROR")
                #expect(response.json["error"]?["details"]?["field"]?.string == "memberIds", "\(body): \(response.raw)")
            }
            #expect(try await api.request(.get, "/api/v1/conversations", token: ann.accessToken).data?.array?.isEmpty == true)
            let unauthenticated = try await api.request(.post, "/api/v1/conversations", body: bodies[0])
            #expect(unauthenticated.status == 401)
        }
    }

    @Test("member limits: 500 including the creator is accepted, 501 is not, and a full group takes no more", arguments: TestBackend.servers)
    func memberLimit(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let admin = try await api.register("admin")
            let users = try await api.registerMany("mem", count: 501)
            let tooMany = try await api.createGroup(admin, title: "Big", members: Array(users.prefix(500)))
            #expect(tooMany.status == 400)
            #expect(tooMany.json["error"]?["details"]?["field"]?.string == "memberIds")

            let full = try await api.createGroup(admin, title: "Big", members: Array(users.prefix(499)))
            #expect(full.status == 201)
            let id = try #require(full.data?["id"]?.string)
            #expect(full.data?["members"]?.array?.count == 500)

            let oneMore = try await api.addMembers(admin, id, [users[499]])
            #expect(oneMore.status == 400)
            #expect(oneMore.errorCode == "VALIDATION_ERROR")
            #expect(oneMore.json["error"]?["details"]?["field"]?.string == "userIds")
            // Existing members do not count twice: re-adding one to a full group is fine.
            #expect(try await api.addMembers(admin, id, [users[0]]).status == 200)

            // After one leaves, there is room for exactly one.
            #expect(try await api.removeMember(users[0], id, users[0].id).status == 200)
            let two = try await api.addMembers(admin, id, [users[499], users[500]])
            #expect(two.status == 400)
            let one = try await api.addMembers(admin, id, [users[499]])
            #expect(one.status == 200)
            #expect(one.data?["members"]?.array?.count == 500)

            // A message to 500 members is stored once and counts as unread for everyone else.
            let sent = try await api.send(users[250], id, "hello all")
            #expect(sent.status == 201)
            #expect(try await api.conversation(users[499], id).data?["unreadCount"]?.int == 1)
            #expect(try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: admin.accessToken).data?.array?.count == 1)
        }
    }

    @Test("rename: admins only; members 403, outsiders 404, direct conversations 400, bad titles 400", arguments: TestBackend.servers)
    func rename(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let eve = try await api.register("eve")
            let id = try await api.groupID(ann, title: "Old", members: [ben])
            let before = try #require(try await api.conversation(ann, id).data?["updatedAt"]?.string)

            let renamed = try await api.rename(ann, id, title: "  New name ")
            #expect(renamed.status == 200, "\(renamed.raw)")
            #expect(renamed.data?["title"]?.string == "New name")
            #expect(renamed.data?["id"]?.string == id)
            #expect(try #require(renamed.data?["updatedAt"]?.string) >= before)
            #expect(try await api.conversation(ben, id).data?["title"]?.string == "New name")

            let byMember = try await api.rename(ben, id, title: "Mine now")
            #expect(byMember.status == 403)
            #expect(byMember.errorCode == "FORBIDDEN")
            let byOutsider = try await api.rename(eve, id, title: "Hacked")
            #expect(byOutsider.status == 404)
            #expect(byOutsider.errorCode == "NOT_FOUND")
            #expect(try await api.rename(ann, "999999", title: "Nope").status == 404)
            #expect(try await api.rename(ann, "abc", title: "Nope").status == 404)
            #expect(try await api.conversation(ann, id).data?["title"]?.string == "New name")

            let blank = try await api.rename(ann, id, title: " ")
            #expect(blank.status == 400)
            #expect(blank.json["error"]?["details"]?["field"]?.string == "title")
            let missing = try await api.request(.patch, "/api/v1/conversations/\(id)", token: ann.accessToken, body: "{}")
            #expect(missing.status == 400)
            #expect(missing.json["error"]?["details"]?["field"]?.string == "title")

            let direct = try await api.conversationID(ann, with: ben)
            let directRename = try await api.rename(ann, direct, title: "Us")
            #expect(directRename.status == 400)
            #expect(directRename.errorCode == "VALIDATION_ERROR")
            #expect(try await api.conversation(ann, direct).data?["title"]?.isNull == true)
            #expect(try await api.rename(eve, direct, title: "Us").status == 404)
        }
    }

    @Test("add members: admins only, newcomers are members who see history with nothing unread, re-adding is idempotent", arguments: TestBackend.servers)
    func addMembers(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let dan = try await api.register("dan")
            let eve = try await api.register("eve")
            let id = try await api.groupID(ann, members: [ben])
            _ = try await api.send(ann, id, "before cat")
            _ = try await api.send(ben, id, "still before")

            let added = try await api.addMembers(ann, id, [cat])
            #expect(added.status == 200, "\(added.raw)")
            #expect(added.data?.roles == [ann.id: "admin", ben.id: "member", cat.id: "member"])
            let catView = try #require(try await api.conversation(cat, id).data)
            #expect(catView["unreadCount"]?.int == 0)
            #expect(catView["lastMessage"]?["content"]?.string == "still before")
            let catsMember = catView["members"]?.array?.first { $0["id"]?.string == cat.id }
            #expect(catsMember?["lastReadSeq"]?.int == 2)
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: cat.accessToken)
            #expect(history.data?.array?.compactMap { $0["content"]?.string } == ["before cat", "still before"])
            #expect(try await api.send(cat, id, "hi, I'm new").data?["seq"]?.int == 3)
            #expect(try await api.conversation(ben, id).data?["unreadCount"]?.int == 3)

            // Idempotent: existing members are skipped, new ones in the same call are added.
            let again = try await api.addMembers(ann, id, [cat, ben, ann, dan])
            #expect(again.status == 200)
            #expect(again.data?["members"]?.array?.count == 4)
            let unchanged = try await api.addMembers(ann, id, [cat])
            #expect(unchanged.status == 200)
            #expect(unchanged.data?.memberIDs == [ann.id, ben.id, cat.id, dan.id])

            let byMember = try await api.addMembers(ben, id, [eve])
            #expect(byMember.status == 403)
            #expect(byMember.errorCode == "FORBIDDEN")
            #expect(try await api.addMembers(eve, id, [eve]).status == 404)

            for userIDs in [[eve.id, "424242"], [eve.id, eve.id], [String](), ["x"]] {
                let bad = try await api.addMembers(ann, id, userIDs: userIDs)
                #expect(bad.status == 400, "\(userIDs): \(bad.raw)")
                #expect(bad.json["error"]?["details"]?["field"]?.string == "userIds")
            }
            let wrongType = try await api.request(.post, "/api/v1/conversations/\(id)/members", token: ann.accessToken, body: #"{"userIds":[1]}"#)
            #expect(wrongType.status == 400)
            #expect(wrongType.json["error"]?["details"]?["field"]?.string == "userIds")
            // An outsider asking with unknown ids still learns nothing but "not found".
            #expect(try await api.addMembers(eve, id, userIDs: ["424242"]).status == 404)
            #expect(try await api.conversation(eve, id).status == 404)

            let direct = try await api.conversationID(ann, with: ben)
            let directAdd = try await api.addMembers(ann, direct, [eve])
            #expect(directAdd.status == 400)
            #expect(try await api.conversation(eve, direct).status == 404)
        }
    }
}
