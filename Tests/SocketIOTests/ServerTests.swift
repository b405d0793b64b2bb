import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import NIOCore
import Testing
import WebSocketTestSupport

@testable import SocketIO

@Suite("Socket.IO server over a live Hummingbird application")
struct ServerTests {
    func makeServer(_ configure: (inout SocketIOConfiguration) -> Void = { _ in }) -> SocketIOServer {
        var configuration = SocketIOConfiguration(pingInterval: .seconds(5), pingTimeout: .seconds(5), connectTimeout: .seconds(5))
        configure(&configuration)
        return SocketIOServer(configuration: configuration)
    }

    @Test("connect gives a socket id distinct from the session id; events and acks flow both ways")
    func eventsAndAcks() async throws {
        let io = makeServer()
        let seen = Recorder<String>()
        io.of("/").on("hello") { event in
            await seen.record(event.socket.id)
            event.ack?("hi", .number(Double(event.arguments.count)))
        }
        try await withLiveServer(io) { port, _ in
            let ws = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket")
            let open = try #require(await ws.nextText())
            let engineSID = try #require(try JSONValue(parsing: String(open.dropFirst()))["sid"]?.stringValue)
            ws.send("40")
            let connect = try #require(await ws.nextText())
            let socketSID = try #require(try JSONValue(parsing: String(connect.dropFirst(2)))["sid"]?.stringValue)
            #expect(socketSID != engineSID)
            ws.send(#"4212["hello",1,2]"#)
            #expect(await ws.nextText() == #"4312["hi",2]"#)
            #expect(await seen.wait(count: 1) == [socketSID])
            ws.close()
        }
    }

    @Test("events without a handler reach the namespace's fallback; handled ones do not")
    func unhandledEvents() async throws {
        let io = makeServer()
        io.of("/").on("known") { event in event.ack?("known") }
        io.of("/").onUnhandledEvent { event in event.ack?(.string("unhandled:\(event.name)")) }
        try await withLiveServer(io) { port, _ in
            let (ws, reply) = try await connectSocket(port: port, auth: "{}")
            #expect(reply.hasPrefix("0{\"sid\""))
            ws.send(#"421["mystery",{"a":1}]"#)
            #expect(await ws.nextText() == #"431["unhandled:mystery"]"#)
            ws.send(#"422["known"]"#)
            #expect(await ws.nextText() == #"432["known"]"#)
            ws.close()
        }
    }

    @Test("middleware refuses with message and data, and passes data to handlers")
    func middleware() async throws {
        enum UserKey: SocketIOStorageKey { typealias Value = String }
        let io = makeServer()
        io.of("/").use { socket in
            await socket.join("joined-by-middleware")
            guard let token = socket.handshake.bearerToken, token.hasPrefix("user:") else {
                throw SocketIOConnectError("unauthorized", data: ["code": "UNAUTHORIZED"])
            }
            socket[UserKey.self] = String(token.dropFirst(5))
        }
        io.of("/").on("whoami") { event in event.ack?(.string(event.socket[UserKey.self] ?? "?")) }
        try await withLiveServer(io) { port, _ in
            let (refused, refusal) = try await connectSocket(port: port, auth: #"{"token":"nope"}"#)
            #expect(refusal == #"4{"data":{"code":"UNAUTHORIZED"},"message":"unauthorized"}"#)
            refused.close()
            // The refused socket's room entries are gone.
            #expect(await io.of("/").adapter.socketIDs(matching: .init(rooms: ["joined-by-middleware"])).isEmpty)

            let (ws, reply) = try await connectSocket(port: port, auth: #"{"token":"user:alice"}"#)
            #expect(reply.hasPrefix("0{\"sid\""))
            ws.send(#"421["whoami"]"#)
            #expect(await ws.nextText() == #"431["alice"]"#)
            ws.close()
        }
    }

    @Test("unknown namespaces are refused; a client leaving one namespace keeps the others")
    func namespaces() async throws {
        let io = makeServer()
        let reasons = Recorder<String>()
        io.of("/chat").onDisconnect { _, reason in await reasons.record(reason.name) }
        io.of("/").on("ping") { event in event.ack?("pong") }
        try await withLiveServer(io) { port, _ in
            let (ws, _) = try await connectSocket(port: port)
            ws.send("40/nope,")
            #expect(await ws.nextText() == #"44/nope,{"message":"Invalid namespace"}"#)
            ws.send("40/chat,")
            #expect(await ws.nextText()?.hasPrefix("40/chat,{\"sid\"") == true)
            ws.send("41/chat,")
            #expect(await reasons.wait(count: 1) == ["client namespace disconnect"])
            ws.send(#"425["ping"]"#)
            #expect(await ws.nextText() == #"435["pong"]"#)
            ws.close()
        }
    }

    @Test("room broadcasts reach room members except the excluded, and room lookup sees members")
    func rooms() async throws {
        let io = makeServer()
        let nsp = io.of("/")
        nsp.on("join") { event in
            await event.socket.join(event.payload?.stringValue ?? "")
            event.ack?()
        }
        nsp.on("shout") { event in
            await event.socket.to("room").emit("shout", arguments: event.arguments)
            event.ack?()
        }
        try await withLiveServer(io) { port, _ in
            let (a, _) = try await connectSocket(port: port)
            let (b, _) = try await connectSocket(port: port)
            let (c, _) = try await connectSocket(port: port)
            for ws in [a, b] {
                ws.send(#"421["join","room"]"#)
                #expect(await ws.nextText() == "431[]")
            }
            #expect(await nsp.sockets(in: "room").count == 2)

            a.send(#"422["shout","hey"]"#)
            #expect(await a.nextText() == "432[]")
            #expect(await b.nextText() == #"42["shout","hey"]"#)

            let members = await nsp.sockets(in: "room")
            await nsp.to("room").except(members[0].id).emit("x")
            await nsp.except("room").emit("outside", 1)
            #expect(await c.nextText() == #"42["outside",1]"#)
            // a or b got "x" (one excluded), c never did.
            let gotA = await a.nextText(timeout: .seconds(3))
            let gotB = await b.nextText(timeout: .seconds(3))
            #expect([gotA, gotB].compactMap { $0 } == [#"42["x"]"#])
            #expect(await c.nextText(timeout: .milliseconds(300)) == nil)
            for ws in [a, b, c] { ws.close() }
        }
    }

    @Test("server emits awaiting an ack get the answer, or time out")
    func serverAcks() async throws {
        let io = makeServer()
        let results = Recorder<String>()
        io.of("/").onConnection { socket in
            Task {
                do {
                    let answer = try await socket.emitWithAck("question", 42, timeout: .seconds(3))
                    await results.record("answer \(answer)")
                } catch {
                    await results.record("error \(error)")
                }
            }
        }
        try await withLiveServer(io) { port, _ in
            let (ws, _) = try await connectSocket(port: port)
            let question = try #require(await ws.nextText())
            #expect(question.hasPrefix("42") && question.hasSuffix(#"["question",42]"#))
            let id = question.dropFirst(2).prefix { $0.isNumber }
            ws.send("43\(id)[\"yes\"]")
            #expect(await results.wait(count: 1) == [#"answer ["yes"]"#])

            let (silent, _) = try await connectSocket(port: port)
            #expect(await silent.nextText() != nil)
            #expect(await results.wait(count: 2).last == "error ackTimeout")
            ws.close()
            silent.close()
        }
    }

    @Test("server-side disconnect sends DISCONNECT and reports the reason")
    func serverDisconnect() async throws {
        let io = makeServer()
        let reasons = Recorder<String>()
        io.of("/").onConnection { socket in
            socket.onDisconnect { reason in await reasons.record(reason.name) }
        }
        io.of("/").on("kick") { event in event.socket.disconnect() }
        io.of("/").on("expire") { event in event.socket.disconnect(reason: SocketIODisconnectReason("token expired")) }
        io.of("/").on("close") { event in event.socket.disconnect(close: true) }
        try await withLiveServer(io) { port, _ in
            let (ws, _) = try await connectSocket(port: port)
            ws.send(#"42["kick"]"#)
            #expect(await ws.nextText() == "41")
            #expect(await reasons.wait(count: 1) == ["server namespace disconnect"])
            ws.send("40")
            #expect(await ws.nextText()?.hasPrefix("40{") == true)
            ws.send(#"42["expire"]"#)
            #expect(await ws.nextText() == "41")
            #expect(await reasons.wait(count: 2).last == "token expired")
            ws.send("40")
            #expect(await ws.nextText()?.hasPrefix("40{") == true)
            ws.send(#"42["close"]"#)
            #expect(await ws.waitForClose())
            #expect(await reasons.wait(count: 3).last == "forced server close")
        }
    }

    @Test("a client that stops reading is disconnected when its outbound buffer fills")
    func boundedOutboundBuffer() async throws {
        let io = makeServer { $0.engine.maxOutboundBufferSize = 64 * 1024 }
        let reasons = Recorder<String>()
        io.of("/").onConnection { socket in
            socket.onDisconnect { reason in await reasons.record(reason.name) }
        }
        io.of("/").on("flood") { event in
            let chunk = JSONValue.string(String(repeating: "x", count: 1024))
            for _ in 0..<1000 where event.socket.isConnected { event.socket.emit("data", chunk) }
        }
        try await withLiveServer(io) { port, client in
            // Long-polling client that never polls: everything the server sends stays queued.
            let handshake = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            let sid = try #require(try JSONValue(parsing: String(String(buffer: handshake.body).dropFirst()))["sid"]?.stringValue)
            let uri = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            _ = try await client.request(uri, .post, body: "40")
            _ = try await client.request(uri, .post, body: #"42["flood"]"#)
            #expect(await reasons.wait(count: 1) == ["outbound buffer full"])
            #expect(await eventually { io.connectionCount == 0 })
        }
    }

    @Test("a WebSocket client that stops reading is disconnected once its outbound buffer fills")
    func stalledWebSocket() async throws {
        let io = makeServer { $0.engine.maxOutboundBufferSize = 256 * 1024 }
        let reasons = Recorder<String>()
        let sent = Recorder<Int>()
        io.of("/").onConnection { socket in
            socket.onDisconnect { reason in await reasons.record(reason.name) }
        }
        io.of("/").on("flood") { event in
            let chunk = JSONValue.string(String(repeating: "x", count: 4096))
            var count = 0
            // 40 MB if nothing stopped it: far beyond the socket buffers of a stalled client.
            while event.socket.isConnected, count < 10_000 {
                event.socket.emit("data", chunk)
                count += 1
                if count % 64 == 0 { await Task.yield() }
            }
            await sent.record(count)
        }
        try await withLiveServer(io) { port, _ in
            let stalled = try StalledWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            try stalled.sendText("40")
            try await Task.sleep(for: .milliseconds(100))
            try stalled.sendText(#"42["flood"]"#)
            #expect(await reasons.wait(count: 1, timeout: .seconds(10)) == ["outbound buffer full"])
            let count = try #require(await sent.wait(count: 1, timeout: .seconds(10)).first)
            #expect(count < 10_000)
            #expect(await eventually { io.connectionCount == 0 })
            withExtendedLifetime(stalled) {}
        }
    }

    @Test("volatile emits are dropped for a client that is behind")
    func volatileEmit() async throws {
        let io = makeServer()
        io.of("/").on("go") { event in
            event.socket.emit("kept", 1)
            event.socket.emit("dropped", arguments: [2], volatile: true)
        }
        try await withLiveServer(io) { port, client in
            let handshake = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            let sid = try #require(try JSONValue(parsing: String(String(buffer: handshake.body).dropFirst()))["sid"]?.stringValue)
            let uri = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            _ = try await client.request(uri, .post, body: "40")
            let connected = try await client.request(uri, .get)
            #expect(String(buffer: connected.body).hasPrefix("40{"))
            _ = try await client.request(uri, .post, body: #"42["go"]"#)
            try await Task.sleep(for: .milliseconds(200))
            let poll = try await client.request(uri, .get)
            #expect(String(buffer: poll.body) == #"42["kept",1]"#)
        }
    }

    @Test("a polling session upgrades to WebSocket; polling on it is refused afterwards, as is a second WebSocket")
    func upgrade() async throws {
        let io = makeServer()
        io.of("/").on("hello") { event in event.ack?("hi") }
        try await withLiveServer(io) { port, client in
            let handshake = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            let open = try JSONValue(parsing: String(String(buffer: handshake.body).dropFirst()))
            #expect(open["upgrades"] == ["websocket"])
            let sid = try #require(open["sid"]?.stringValue)
            let uri = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            _ = try await client.request(uri, .post, body: "40")
            #expect(String(buffer: try await client.request(uri, .get).body).hasPrefix("40{"))

            let ws = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
            ws.send("2probe")
            #expect(await ws.nextText() == "3probe")
            // While the upgrade is pending, a poll is answered with a noop at once.
            #expect(String(buffer: try await client.request(uri, .get).body) == "6")
            ws.send("5")
            ws.send(#"421["hello"]"#)
            #expect(await ws.nextText() == #"431["hi"]"#)
            #expect(io.engine.session(id: sid)?.transport == .websocket)

            #expect(try await client.request(uri, .get).status == .badRequest)
            let second = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
            #expect(await second.waitForClose())
            // The first WebSocket still works.
            ws.send(#"422["hello"]"#)
            #expect(await ws.nextText() == #"432["hi"]"#)
            ws.close()
        }
    }

    @Test("polling errors match the reference server")
    func pollingErrors() async throws {
        let io = makeServer { $0.engine.maxPayload = 100 }
        try await withLiveServer(io) { _, client in
            let unknown = try await client.request("/socket.io/?EIO=4&transport=polling&sid=nope", .get)
            #expect(unknown.status == .badRequest)
            #expect(String(buffer: unknown.body) == #"{"code":1,"message":"Session ID unknown"}"#)
            let transport = try await client.request("/socket.io/?EIO=4&transport=carrier-pigeon", .get)
            #expect(String(buffer: transport.body) == #"{"code":0,"message":"Transport unknown"}"#)
            let version = try await client.request("/socket.io/?EIO=3&transport=polling", .get)
            #expect(String(buffer: version.body) == #"{"code":5,"message":"Unsupported protocol version"}"#)
            let method = try await client.request("/socket.io/?EIO=4&transport=polling", .post)
            #expect(String(buffer: method.body) == #"{"code":2,"message":"Bad handshake method"}"#)

            let handshake = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            let sid = try #require(try JSONValue(parsing: String(String(buffer: handshake.body).dropFirst()))["sid"]?.stringValue)
            let uri = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            let big = try await client.request(uri, .post, body: "4" + String(repeating: "x", count: 200))
            #expect(big.status == .contentTooLarge)
            let after = try await client.request(uri, .get)
            #expect(after.status == .badRequest)
        }
    }

    @Test("shutdown closes every connection with reason server shutting down")
    func shutdown() async throws {
        let io = makeServer()
        let reasons = Recorder<String>()
        io.of("/").onDisconnect { _, reason in await reasons.record(reason.name) }
        try await withLiveServer(io) { port, _ in
            let (a, _) = try await connectSocket(port: port)
            let (b, _) = try await connectSocket(port: port)
            io.close()
            #expect(await a.waitForClose())
            #expect(await b.waitForClose())
            #expect(await reasons.wait(count: 2) == ["server shutting down", "server shutting down"])
        }
    }

    @Test("binary events arrive as .binary and binary emits are sent as attachments")
    func binary() async throws {
        let io = makeServer()
        io.of("/").on("bin") { event in
            guard case .binary(let bytes)? = event.payload else { return }
            event.socket.emit("bin-back", .binary(bytes), .number(Double(bytes.readableBytes)))
        }
        try await withLiveServer(io) { port, _ in
            let (ws, _) = try await connectSocket(port: port)
            ws.send(#"451-["bin",{"_placeholder":true,"num":0}]"#)
            ws.send(binary: [9, 8, 7])
            #expect(await ws.nextText() == #"451-["bin-back",{"_placeholder":true,"num":0},3]"#)
            #expect(await ws.next() == .binary(ByteBuffer(bytes: [9, 8, 7])))
            ws.close()
        }
    }
}
