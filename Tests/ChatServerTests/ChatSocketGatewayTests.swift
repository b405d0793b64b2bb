import ChatTestSupport
import Foundation
import Testing

/// The socket gateway through its public surface: a live server on each backend and real WebSocket clients that
/// speak Engine.IO v4 / Socket.IO v5 frames (API.md, "Real time").
@Suite("Socket gateway: connect, send, acks")
struct ChatSocketGatewayTests {
    /// Ann and ben, registered over REST, and the id of their direct conversation.
    static func twoUsersInAConversation(_ api: APIClient) async throws -> (APIClient.Session, APIClient.Session, String) {
        let ann = try await api.register("ann")
        let ben = try await api.register("ben")
        return (ann, ben, try await api.conversationID(ann, with: ben))
    }

    static let unauthorized: JSON = .object(["message": .string("unauthorized"), "data": .object(["code": .string("UNAUTHORIZED")])])

    @Test("a valid token connects; a missing or bad token gets CONNECT_ERROR unauthorized", arguments: TestBackend.servers)
    func connect(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let ann = try await api.register("ann")
            let socket = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            guard case .connected(let payload) = socket.connectReply else {
                Issue.record("refused: \(socket.connectReply)")
                return
            }
            #expect(payload["sid"]?.string?.isEmpty == false)
            await socket.close()

            for auth in [nil, ["token": "garbage"], ["token": ann.refreshToken], ["nottoken": ann.accessToken]] as [[String: String]?] {
                let refused = try await SocketIOTestClient.connect(port: port, auth: auth)
                #expect(refused.connectReply == .refused(Self.unauthorized), "auth \(String(describing: auth?.keys.sorted()))")
                await refused.close()
            }
        }
    }

    @Test("message:send is acked with the stored message and reaches every other socket of the members", arguments: TestBackend.servers)
    func send(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let (ann, ben, conversation) = try await Self.twoUsersInAConversation(api)
            let annPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let annLaptop = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])

            let ack = try await annPhone.emit(
                "message:send", api.json(["conversationId": conversation, "content": "hello ben", "clientMessageId": "c-1"]))
            #expect(ack["success"]?.bool == true, "\(ack)")
            let message = try #require(ack["data"])
            #expect(message["seq"]?.int == 1)
            #expect(message["conversationId"]?.string == conversation)
            #expect(message["senderId"]?.string == ann.id)
            #expect(message["content"]?.string == "hello ben")
            #expect(message["clientMessageId"]?.string == "c-1")

            // The same message, byte for byte the same JSON, at ben's socket and ann's other device; not at the sender.
            #expect(try await benPhone.event("message:new") == message)
            #expect(try await annLaptop.event("message:new") == message)
            #expect(await !annPhone.receives("message:new", within: .milliseconds(300)))

            // To a user: the direct conversation already exists, so seq 2 in it.
            let toUser = try await benPhone.emit("message:send", api.json(["toUserId": ann.id, "content": "hi ann"]))
            #expect(toUser["data"]?["seq"]?.int == 2 && toUser["data"]?["conversationId"]?.string == conversation, "\(toUser)")
            #expect(try await annPhone.event("message:new")["content"]?.string == "hi ann")

            for socket in [annPhone, annLaptop, benPhone] { await socket.close() }
        }
    }

    @Test(
        "sends pipelined on one socket, more than its window, are stored in arrival order, each acked with its seq; retries among them are idempotent",
        arguments: TestBackend.servers)
    func pipelinedSends(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let (ann, ben, conversation) = try await Self.twoUsersInAConversation(api)
            let annSocket = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let benSocket = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            let count = 40
            var ids: [Int] = []
            for n in 0..<count {
                ids.append(try await annSocket.emitWithoutWaiting(
                    "message:send", api.json(["conversationId": conversation, "content": "m\(n)", "clientMessageId": "p-\(n)"])))
            }
            // Three retries of earlier sends, pipelined behind them, and one bad send that fails alone.
            var retries: [Int] = []
            for n in [0, 7, 39] {
                retries.append(try await annSocket.emitWithoutWaiting(
                    "message:send", api.json(["conversationId": conversation, "content": "m\(n)", "clientMessageId": "p-\(n)"])))
            }
            let bad = try await annSocket.emitWithoutWaiting("message:send", api.json(["conversationId": conversation, "content": ""]))
            for (n, id) in ids.enumerated() {
                let ack = try await annSocket.ack(id)
                #expect(ack["success"]?.bool == true, "\(ack)")
                #expect(ack["data"]?["seq"]?.int == n + 1, "send \(n): \(ack)")
                #expect(ack["data"]?["content"]?.string == "m\(n)")
            }
            for (n, id) in zip([0, 7, 39], retries) {
                #expect(try await annSocket.ack(id)["data"]?["seq"]?.int == n + 1)
            }
            #expect(try await annSocket.ack(bad)["error"]?["code"]?.string == "VALIDATION_ERROR")
            for n in 0..<count {
                let message = try await benSocket.event("message:new")
                #expect(message["seq"]?.int == n + 1)
                #expect(message["content"]?.string == "m\(n)")
            }
            #expect(await !benSocket.receives("message:new", within: .milliseconds(300)))
            await annSocket.close()
            await benSocket.close()
        }
    }

    @Test("a bad payload is acked VALIDATION_ERROR and an unknown event NOT_FOUND; the socket stays usable", arguments: TestBackend.servers)
    func errors(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let (ann, _, conversation) = try await Self.twoUsersInAConversation(api)
            let socket = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])

            for payload in [
                api.json(["conversationId": conversation]), api.json(["conversationId": conversation, "content": ""]),
                api.json(["content": "to nobody"]), #""just a string""#, "42",
            ] {
                let ack = try await socket.emit("message:send", payload)
                #expect(ack["success"]?.bool == false, "\(payload) -> \(ack)")
                #expect(ack["error"]?["code"]?.string == "VALIDATION_ERROR", "\(payload) -> \(ack)")
            }

            let unknown = try await socket.emit("message:nonsense", api.json(["conversationId": conversation]))
            #expect(unknown["success"]?.bool == false)
            #expect(unknown["error"]?["code"]?.string == "NOT_FOUND", "\(unknown)")

            // Nothing was stored by the refused sends: the first good one gets seq 1.
            let ok = try await socket.emit("message:send", api.json(["conversationId": conversation, "content": "now properly"]))
            #expect(ok["data"]?["seq"]?.int == 1, "\(ok)")
            await socket.close()
        }
    }
}
