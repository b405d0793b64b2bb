import ChatTestSupport
import Foundation
import Testing

@Suite("REST: messages")
struct MessageAPITests {
    @Test("send: 201 with the Message, seq from 1; a retry with the same clientMessageId is 200 with the same message", arguments: TestBackend.servers)
    func sendAndIdempotency(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            let first = try await api.send(ann, id, "héllo 🙂", clientMessageID: "m-1")
            #expect(first.status == 201)
            let message = try #require(first.data)
            #expect(message["seq"]?.int == 1)
            #expect(message["conversationId"]?.string == id)
            #expect(message["senderId"]?.string == ann.id)
            #expect(message["content"]?.string == "héllo 🙂")
            #expect(message["clientMessageId"]?.string == "m-1")

            let retry = try await api.send(ann, id, "héllo 🙂", clientMessageID: "m-1")
            #expect(retry.status == 200)
            #expect(retry.data == message)
            // The same client id from the other member is theirs, not a retry.
            let bens = try await api.send(ben, id, "hi", clientMessageID: "m-1")
            #expect(bens.status == 201)
            #expect(bens.data?["seq"]?.int == 2)
            let plain = try await api.send(ann, id, "no id")
            #expect(plain.data?["seq"]?.int == 3)
            #expect(plain.data?["clientMessageId"]?.isNull == true)
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: ben.accessToken)
            #expect(history.data?.array?.compactMap { $0["seq"]?.int } == [1, 2, 3])
        }
    }

    @Test(
        "invalid messages are 400 and store nothing",
        arguments: TestBackend.servers, [
            #"{"content":""}"#, #"{"content":"   \n\t "}"#, #"{"content":5}"#, #"{}"#,
            #"{"content":"x","clientMessageId":""}"#,
            #"{"content":"x","clientMessageId":"\#(String(repeating: "c", count: 65))"}"#,
            #"{"content":"\#(String(repeating: "🙂", count: 4001))"}"#,
        ])
    func invalidMessages(_ backend: TestBackend, body: String) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            let response = try await api.request(.post, "/api/v1/conversations/\(id)/messages", token: ann.accessToken, body: body)
            #expect(response.status == 400, "\(response.raw)")
            #expect(response.errorCode == "VALIDATION_ERROR")
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: ann.accessToken)
            #expect(history.data?.array?.isEmpty == true)
            #expect(try await api.request(.get, "/api/v1/conversations/\(id)", token: ann.accessToken).data?["lastSeq"]?.int == 0)
        }
    }

    @Test("content limits count code points: 4000 emoji are accepted", arguments: TestBackend.servers)
    func contentLimitInCodePoints(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            let response = try await api.send(ann, id, String(repeating: "🙂", count: 4000))
            #expect(response.status == 201)
        }
    }

    @Test("history pages: newest by default, before/after cursors, hasMore correct at both ends", arguments: TestBackend.servers)
    func historyPaging(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            for i in 1...7 { _ = try await api.send(i.isMultiple(of: 2) ? ben : ann, id, "m\(i)") }
            func page(_ query: String) async throws -> (seqs: [Int], hasMore: Bool?, next: String?) {
                let r = try await api.request(.get, "/api/v1/conversations/\(id)/messages?\(query)", token: ann.accessToken)
                #expect(r.status == 200, "\(query): \(r.raw)")
                return (r.data?.array?.compactMap { $0["seq"]?.int } ?? [], r.json["page"]?["hasMore"]?.bool, r.json["page"]?["nextCursor"]?.string)
            }
            let newest = try await page("limit=3")
            #expect(newest.seqs == [5, 6, 7])
            #expect(newest.hasMore == true)
            #expect(newest.next == "5")
            let older = try await page("limit=3&before=5")
            #expect(older.seqs == [2, 3, 4])
            #expect(older.hasMore == true)
            let oldest = try await page("limit=3&before=2")
            #expect(oldest.seqs == [1])
            #expect(oldest.hasMore == false)
            #expect(oldest.next == nil)
            let exact = try await page("limit=3&before=4")
            #expect(exact.seqs == [1, 2, 3])
            #expect(exact.hasMore == false)

            let after = try await page("after=0&limit=3")
            #expect(after.seqs == [1, 2, 3])
            #expect(after.hasMore == true)
            #expect(after.next == "3")
            let tail = try await page("after=4&limit=3")
            #expect(tail.seqs == [5, 6, 7])
            #expect(tail.hasMore == false)
            let beyond = try await page("after=7")
            #expect(beyond.seqs == [])
            #expect(beyond.hasMore == false)
            let all = try await page("")
            #expect(all.seqs == Array(1...7))
            #expect(all.hasMore == false)

            for bad in ["before=1&after=2", "before=0", "after=-1", "before=x", "limit=0", "limit=101"] {
                let r = try await api.request(.get, "/api/v1/conversations/\(id)/messages?\(bad)", token: ann.accessToken)
                #expect(r.status == 400, "\(bad)")
                #expect(r.errorCode == "VALIDATION_ERROR")
            }
        }
    }

    @Test("mark read: moves forward only, clamps to the newest seq, drives unreadCount", arguments: TestBackend.servers)
    func markRead(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            for i in 1...5 { _ = try await api.send(ann, id, "m\(i)") }
            func read(_ seq: Int) async throws -> APIResponse {
                try await api.request(.post, "/api/v1/conversations/\(id)/read", token: ben.accessToken, body: #"{"seq":\#(seq)}"#)
            }
            let r3 = try await read(3)
            #expect(r3.status == 200)
            #expect(r3.data?["lastReadSeq"]?.int == 3)
            #expect(r3.data?["conversationId"]?.string == id)
            #expect(try await read(1).data?["lastReadSeq"]?.int == 3)
            let view = try await api.request(.get, "/api/v1/conversations/\(id)", token: ben.accessToken)
            #expect(view.data?["unreadCount"]?.int == 2)
            #expect(view.data?["members"]?.array?.first { $0["id"]?.string == ben.id }?["lastReadSeq"]?.int == 3)
            #expect(try await read(99).data?["lastReadSeq"]?.int == 5)
            #expect(try await api.request(.get, "/api/v1/conversations/\(id)", token: ben.accessToken).data?["unreadCount"]?.int == 0)
            let negative = try await read(-1)
            #expect(negative.status == 400)
            let wrongType = try await api.request(.post, "/api/v1/conversations/\(id)/read", token: ben.accessToken, body: #"{"seq":"2"}"#)
            #expect(wrongType.status == 400)
        }
    }
}
