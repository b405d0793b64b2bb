import ChatTestSupport
import Foundation
import Testing

/// API.md "Messages: edit, delete, replies, reactions", "Blocking" and "Search" over REST (and the socket events
/// they cause), on every server backend.
@Suite("REST: edit, delete, replies, reactions, blocks, search")
struct MessageFeatureAPITests {
    static func path(_ conversation: String, _ seq: Int, _ tail: String = "") -> String {
        "/api/v1/conversations/\(conversation)/messages/\(seq)\(tail)"
    }

    @Test("edit and delete: 200 Message; 403 for others; 404 for unknown seq or foreign conversation; 409 editing a tombstone", arguments: TestBackend.servers)
    func editAndDelete(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let id = try await api.conversationID(ann, with: ben)
            _ = try await api.send(ann, id, "helo")
            let edited = try await api.request(.patch, Self.path(id, 1), token: ann.accessToken, body: #"{"content":"hello"}"#)
            #expect(edited.status == 200, "\(edited.raw)")
            #expect(edited.data?["content"]?.string == "hello")
            #expect(edited.data?["editedAt"]?.string != nil && edited.data?["deletedAt"]?.isNull == true)
            #expect(edited.data?["seq"]?.int == 1)
            let forbidden = try await api.request(.patch, Self.path(id, 1), token: ben.accessToken, body: #"{"content":"mine now"}"#)
            #expect(forbidden.status == 403 && forbidden.errorCode == "FORBIDDEN")
            #expect(try await api.request(.delete, Self.path(id, 1), token: ben.accessToken).status == 403)
            #expect(try await api.request(.patch, Self.path(id, 2), token: ann.accessToken, body: #"{"content":"x"}"#).status == 404)
            let foreign = try await api.request(.patch, Self.path(id, 1), token: cat.accessToken, body: #"{"content":"x"}"#)
            #expect(foreign.status == 404 && foreign.errorCode == "NOT_FOUND")
            for bad in ["0", "-1", "abc", "1.5", "99999999999999999999"] {
                let response = try await api.request(.delete, "/api/v1/conversations/\(id)/messages/\(bad)", token: ann.accessToken)
                #expect(response.status == 400, "seq \(bad): \(response.raw)")
            }
            for body in [#"{"content":""}"#, #"{"content":"  "}"#, #"{}"#, #"{"content":7}"#] {
                #expect(try await api.request(.patch, Self.path(id, 1), token: ann.accessToken, body: body).status == 400, "\(body)")
            }

            let tombstone = try await api.request(.delete, Self.path(id, 1), token: ann.accessToken)
            #expect(tombstone.status == 200)
            #expect(tombstone.data?["content"]?.isNull == true && tombstone.data?["deletedAt"]?.string != nil)
            let again = try await api.request(.delete, Self.path(id, 1), token: ann.accessToken)
            #expect(again.status == 200 && again.data == tombstone.data)
            let conflict = try await api.request(.patch, Self.path(id, 1), token: ann.accessToken, body: #"{"content":"back"}"#)
            #expect(conflict.status == 409 && conflict.errorCode == "CONFLICT")
            let conversation = try await api.request(.get, "/api/v1/conversations/\(id)", token: ben.accessToken)
            #expect(conversation.data?["lastMessage"] == tombstone.data)
            #expect(conversation.data?["lastSeq"]?.int == 1 && conversation.data?["unreadCount"]?.int == 1)
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: ben.accessToken)
            #expect(history.data?.array == [try #require(tombstone.data)])
        }
    }

    @Test("replies: replyToSeq on send, 400 naming the field when it is no message of the conversation", arguments: TestBackend.servers)
    func replies(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            _ = try await api.send(ann, id, "question")
            let reply = try await api.request(
                .post, "/api/v1/conversations/\(id)/messages", token: ben.accessToken, body: #"{"content":"answer","replyToSeq":1}"#)
            #expect(reply.status == 201 && reply.data?["replyToSeq"]?.int == 1)
            for bad in ["3", "0", "-2", "\"1\"", "1.5"] {
                let response = try await api.request(
                    .post, "/api/v1/conversations/\(id)/messages", token: ben.accessToken, body: #"{"content":"x","replyToSeq":\#(bad)}"#)
                #expect(response.status == 400, "replyToSeq \(bad): \(response.raw)")
                #expect(response.json["error"]?["details"]?["field"]?.string == "replyToSeq")
            }
            #expect(try await api.request(.get, "/api/v1/conversations/\(id)", token: ann.accessToken).data?["lastSeq"]?.int == 2)
        }
    }

    @Test("reactions: PUT/DELETE idempotent, URL-encoded emoji, whole list in order, 409 on a tombstone, 400 for bad emoji", arguments: TestBackend.servers)
    func reactions(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            _ = try await api.send(ann, id, "react")
            let thumbs = "%F0%9F%91%8D"  // 👍
            let party = "%F0%9F%8E%89"  // 🎉
            #expect(try await api.request(.put, Self.path(id, 1, "/reactions/\(thumbs)"), token: ben.accessToken).status == 200)
            _ = try await api.request(.put, Self.path(id, 1, "/reactions/\(party)"), token: ann.accessToken)
            let twice = try await api.request(.put, Self.path(id, 1, "/reactions/\(thumbs)"), token: ann.accessToken)
            let same = try await api.request(.put, Self.path(id, 1, "/reactions/\(thumbs)"), token: ann.accessToken)
            #expect(same.status == 200 && same.data == twice.data)
            let reactions = try #require(twice.data?["reactions"]?.array)
            #expect(reactions.map { $0["emoji"]?.string } == ["👍", "🎉"])
            #expect(reactions[0]["userIds"]?.array?.compactMap(\.string) == [ben.id, ann.id])
            let removed = try await api.request(.delete, Self.path(id, 1, "/reactions/\(thumbs)"), token: ben.accessToken)
            #expect(removed.data?["reactions"]?.array?.first?["userIds"]?.array?.compactMap(\.string) == [ann.id])
            #expect(try await api.request(.delete, Self.path(id, 1, "/reactions/\(thumbs)"), token: ben.accessToken).status == 200)
            for bad in ["%20", "a%20b", "%07", "123456789", "%FF"] {
                let response = try await api.request(.put, Self.path(id, 1, "/reactions/\(bad)"), token: ben.accessToken)
                #expect(response.status == 400, "emoji \(bad): \(response.raw)")
            }
            for i in 0..<18 { _ = try await api.request(.put, Self.path(id, 1, "/reactions/e\(i)"), token: ben.accessToken) }
            let tooMany = try await api.request(.put, Self.path(id, 1, "/reactions/one-more"), token: ben.accessToken)
            #expect(tooMany.status == 400 && tooMany.errorCode == "VALIDATION_ERROR")
            _ = try await api.request(.delete, Self.path(id, 1), token: ann.accessToken)
            let onTombstone = try await api.request(.put, Self.path(id, 1, "/reactions/\(thumbs)"), token: ben.accessToken)
            #expect(onTombstone.status == 409)
        }
    }

    @Test("blocks: PUT/DELETE idempotent, list private to the blocker, 403 blocked refusals, presence hidden both ways", arguments: TestBackend.servers)
    func blocks(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let id = try await api.conversationID(ann, with: ben)
            let group = try await api.request(
                .post, "/api/v1/conversations", token: ben.accessToken,
                body: #"{"type":"group","title":"club","memberIds":["\#(cat.id)"]}"#)
            let groupID = try #require(group.data?["id"]?.string)
            for _ in 0..<2 { #expect(try await api.request(.put, "/api/v1/blocks/\(ben.id)", token: ann.accessToken).status == 200) }
            #expect(try await api.request(.put, "/api/v1/blocks/\(ann.id)", token: ann.accessToken).status == 400)
            #expect(try await api.request(.put, "/api/v1/blocks/12345", token: ann.accessToken).status == 404)
            let list = try await api.request(.get, "/api/v1/blocks", token: ann.accessToken)
            #expect(list.data?.array?.compactMap { $0["id"]?.string } == [ben.id])
            #expect(list.json["page"]?["hasMore"]?.bool == false)
            #expect(try await api.request(.get, "/api/v1/blocks", token: ben.accessToken).data?.array?.isEmpty == true)
            #expect(try await api.request(.get, "/api/v1/blocks?cursor=zzz", token: ann.accessToken).status == 400)

            let refusals = [
                try await api.openDirect(ben, with: ann),
                try await api.send(ben, id, "hello?"),
                try await api.request(.post, "/api/v1/conversations/\(groupID)/members", token: ben.accessToken, body: #"{"userIds":["\#(ann.id)"]}"#),
                try await api.request(
                    .post, "/api/v1/conversations", token: ben.accessToken, body: #"{"type":"group","title":"x","memberIds":["\#(ann.id)","\#(cat.id)"]}"#),
            ]
            for refusal in refusals {
                #expect(refusal.status == 403, "\(refusal.raw)")
                #expect(refusal.errorCode == "FORBIDDEN")
                #expect(refusal.json["error"]?["details"] == .object(["reason": .string("blocked")]))
            }
            #expect(try await api.send(ann, id, "I can still write").status == 201)
            // Each sees the other with no presence.
            let seenByBen = try await api.request(.get, "/api/v1/users/\(ann.id)", token: ben.accessToken)
            #expect(seenByBen.data?["online"]?.bool == false && seenByBen.data?["lastSeenAt"]?.isNull == true)
            let members = try await api.request(.get, "/api/v1/conversations/\(id)", token: ann.accessToken).data?["members"]?.array ?? []
            let benAsMember = try #require(members.first { $0["id"]?.string == ben.id })
            #expect(benAsMember["online"]?.bool == false && benAsMember["lastSeenAt"]?.isNull == true)

            for _ in 0..<2 { #expect(try await api.request(.delete, "/api/v1/blocks/\(ben.id)", token: ann.accessToken).status == 200) }
            #expect(try await api.send(ben, id, "thanks").status == 201)
            #expect(try await api.openDirect(ben, with: ann).status == 200)
        }
    }

    @Test("search: 400 for empty or long q, 404 for a foreign conversation, newest first, edits and deletes reflected", arguments: TestBackend.servers)
    func search(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let id = try await api.conversationID(ann, with: ben)
            let foreign = try await api.conversationID(ben, with: cat)
            _ = try await api.send(ann, id, "the quarterly numbers")
            _ = try await api.send(ben, id, "quarterly review friday")
            _ = try await api.send(ben, foreign, "quarterly gossip")
            func search(_ query: String, _ who: APIClient.Session = ann) async throws -> APIResponse {
                try await api.request(.get, "/api/v1/search/messages?\(query)", token: who.accessToken)
            }
            let found = try await search("q=quarter")
            #expect(found.status == 200)
            #expect(found.data?.array?.compactMap { $0["content"]?.string } == ["quarterly review friday", "the quarterly numbers"])
            #expect(found.json["page"]?["hasMore"]?.bool == false)
            let paged = try await search("q=quarterly&limit=1")
            #expect(paged.data?.array?.count == 1 && paged.json["page"]?["hasMore"]?.bool == true)
            let cursor = try #require(paged.json["page"]?["nextCursor"]?.string)
            #expect(try await search("q=quarterly&limit=1&cursor=\(cursor)").data?.array?.first?["content"]?.string == "the quarterly numbers")
            #expect(try await search("q=").status == 400)
            #expect(try await search("").status == 400)
            #expect(try await search("q=\(String(repeating: "a", count: 201))").status == 400)
            #expect(try await search("q=x&cursor=nope").status == 400)
            #expect(try await search("q=x&limit=0").status == 400)
            #expect(try await search("q=gossip&conversationId=\(foreign)").status == 404)
            #expect(try await search("q=gossip").data?.array?.isEmpty == true)
            #expect(try await search("q=gossip", ben).data?.array?.count == 1)
            _ = try await api.request(.patch, Self.path(id, 1), token: ann.accessToken, body: #"{"content":"the annual numbers"}"#)
            _ = try await api.request(.delete, Self.path(id, 2), token: ben.accessToken)
            #expect(try await search("q=quarterly&conversationId=\(id)").data?.array?.isEmpty == true)
            #expect(try await search("q=annual%20num").data?.array?.count == 1)
        }
    }

    @Test("sockets: message:edit/delete acks; message:updated, message:deleted, message:reactions reach every socket, the acting one included, in order", arguments: TestBackend.servers)
    func socketEvents(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            let annPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let annLaptop = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            let sent = try await annPhone.emit("message:send", api.json(["conversationId": id, "content": "draft"]))
            #expect(sent["data"]?["seq"]?.int == 1)
            let edit = try await annPhone.emit("message:edit", #"{"conversationId":"\#(id)","seq":1,"content":"final"}"#)
            #expect(edit["success"]?.bool == true && edit["data"]?["content"]?.string == "final")
            let reply = try await benPhone.emit("message:send", #"{"conversationId":"\#(id)","content":"ok","replyToSeq":1}"#)
            #expect(reply["data"]?["replyToSeq"]?.int == 1)
            _ = try await api.request(.put, Self.path(id, 1, "/reactions/%F0%9F%91%8D"), token: ben.accessToken)
            let delete = try await annLaptop.emit("message:delete", #"{"conversationId":"\#(id)","seq":1}"#)
            #expect(delete["data"]?["content"]?.isNull == true)
            for socket in [annPhone, annLaptop, benPhone] {
                #expect(try await socket.event("message:updated") == edit["data"])
                let reactions = try await socket.event("message:reactions")
                #expect(reactions["seq"]?.int == 1 && reactions["conversationId"]?.string == id)
                #expect(reactions["reactions"]?.array?.first?["emoji"]?.string == "👍")
                #expect(try await socket.event("message:deleted") == delete["data"])
            }
            let refused = try await benPhone.emit("message:edit", #"{"conversationId":"\#(id)","seq":99,"content":"x"}"#)
            #expect(refused["error"]?["code"]?.string == "NOT_FOUND")
            let notMine = try await benPhone.emit("message:delete", #"{"conversationId":"\#(id)","seq":1}"#)
            #expect(notMine["error"]?["code"]?.string == "FORBIDDEN")
            let badSeq = try await benPhone.emit("message:edit", #"{"conversationId":"\#(id)","seq":"x","content":"x"}"#)
            #expect(badSeq["error"]?["code"]?.string == "VALIDATION_ERROR")
            for socket in [annPhone, annLaptop, benPhone] { await socket.close() }
        }
    }
}
