import ChatTestSupport
import Foundation
import Testing

@Suite("REST: conversations")
struct ConversationAPITests {
    @Test("a direct conversation is created once: 201 first, 200 after, whoever asks", arguments: TestBackend.servers)
    func openDirect(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let first = try await api.openDirect(ann, with: ben)
            #expect(first.status == 201)
            let conversation = try #require(first.data)
            #expect(conversation["type"]?.string == "direct")
            #expect(conversation["title"]?.isNull == true)
            #expect(conversation["lastMessage"]?.isNull == true)
            #expect(conversation["lastSeq"]?.int == 0)
            #expect(conversation["unreadCount"]?.int == 0)
            let members = try #require(conversation["members"]?.array)
            #expect(Set(members.compactMap { $0["id"]?.string }) == [ann.id, ben.id])
            #expect(members.allSatisfy { $0["role"]?.string == "member" && $0["lastReadSeq"]?.int == 0 && $0["username"] != nil })

            let again = try await api.openDirect(ann, with: ben)
            #expect(again.status == 200)
            #expect(again.data?["id"] == conversation["id"])
            let reverse = try await api.openDirect(ben, with: ann)
            #expect(reverse.status == 200)
            #expect(reverse.data?["id"] == conversation["id"])
        }
    }

    @Test("opening a conversation: self, unknown users, bad types and groups are refused", arguments: TestBackend.servers)
    func openDirectErrors(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let selfResponse = try await api.openDirect(ann, with: ann)
            #expect(selfResponse.status == 400)
            #expect(selfResponse.json["error"]?["details"]?["field"]?.string == "userId")
            let unknown = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: #"{"type":"direct","userId":"424242"}"#)
            #expect(unknown.status == 404)
            let badType = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: #"{"type":"channel","userId":"1"}"#)
            #expect(badType.status == 400)
            let missing = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: #"{"type":"direct"}"#)
            #expect(missing.status == 400)
            let numeric = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: #"{"type":"direct","userId":5}"#)
            #expect(numeric.status == 400)
            let unauthenticated = try await api.request(.post, "/api/v1/conversations", body: #"{"type":"direct","userId":"1"}"#)
            #expect(unauthenticated.status == 401)
        }
    }

    @Test("list: most recent activity first, lastMessage and unreadCount per caller, cursor pages", arguments: TestBackend.servers)
    func list(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let me = try await api.register("mee")
            var peers: [APIClient.Session] = []
            for name in ["pp1", "pp2", "pp3"] { peers.append(try await api.register(name)) }
            var ids: [String] = []
            for peer in peers { ids.append(try await api.conversationID(me, with: peer)) }
            // Activity order: p2's conversation gets the latest message.
            _ = try await api.send(peers[0], ids[0], "one")
            _ = try await api.send(peers[0], ids[0], "two")
            _ = try await api.send(peers[1], ids[1], "latest")

            let list = try await api.request(.get, "/api/v1/conversations", token: me.accessToken)
            #expect(list.status == 200)
            let items = try #require(list.data?.array)
            #expect(items.compactMap { $0["id"]?.string } == [ids[1], ids[0], ids[2]])
            #expect(items[0]["lastMessage"]?["content"]?.string == "latest")
            #expect(items[1]["unreadCount"]?.int == 2)
            #expect(items[1]["lastSeq"]?.int == 2)
            #expect(items[2]["lastMessage"]?.isNull == true)

            let page1 = try await api.request(.get, "/api/v1/conversations?limit=2", token: me.accessToken)
            #expect(page1.data?.array?.count == 2)
            #expect(page1.json["page"]?["hasMore"]?.bool == true)
            let cursor = try #require(page1.json["page"]?["nextCursor"]?.string)
            let page2 = try await api.request(.get, "/api/v1/conversations?limit=2&cursor=\(cursor)", token: me.accessToken)
            #expect(page2.data?.array?.compactMap { $0["id"]?.string } == [ids[2]])
            #expect(page2.json["page"]?["hasMore"]?.bool == false)

            // The sender has read nothing of their own? Their unread count counts all but what they marked read.
            let p1View = try await api.request(.get, "/api/v1/conversations/\(ids[0])", token: peers[0].accessToken)
            #expect(p1View.data?["lastSeq"]?.int == 2)
            let bad = try await api.request(.get, "/api/v1/conversations?cursor=bm9wZQ", token: me.accessToken)
            #expect(bad.status == 400)
        }
    }

    @Test("a third user can neither see, read nor post into a conversation of two others: 404", arguments: TestBackend.servers)
    func outsiderGetsNotFound(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let eve = try await api.register("eve")
            let id = try await api.conversationID(ann, with: ben)
            _ = try await api.send(ann, id, "secret")

            let responses = [
                try await api.request(.get, "/api/v1/conversations/\(id)", token: eve.accessToken),
                try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: eve.accessToken),
                try await api.send(eve, id, "let me in"),
                try await api.request(.post, "/api/v1/conversations/\(id)/read", token: eve.accessToken, body: #"{"seq":1}"#),
            ]
            for response in responses {
                #expect(response.status == 404)
                #expect(response.errorCode == "NOT_FOUND")
                #expect(!response.raw.contains("secret"))
            }
            // Indistinguishable from a conversation that does not exist.
            let missing = try await api.request(.get, "/api/v1/conversations/123", token: eve.accessToken)
            #expect(missing.raw == responses[0].raw)
            let list = try await api.request(.get, "/api/v1/conversations", token: eve.accessToken)
            #expect(list.data?.array?.isEmpty == true)
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: ann.accessToken)
            #expect(history.data?.array?.count == 1)
        }
    }
}
