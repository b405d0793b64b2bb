#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import WebSocketTestSupport

@testable import SocketIO

/// Counts what a slow handler saw.
private final class FloodStats: Sendable {
    let started = Atomic<Int>(0)
    let startedAfterClose = Atomic<Int>(0)
    let maxPending = Atomic<Int>(0)
}

@Suite("Abuse resistance: payload, inbound backpressure, pending sessions, handshake filter")
struct AbuseResistanceTests {
    func makeServer(_ configure: (inout SocketIOConfiguration) -> Void = { _ in }) -> SocketIOServer {
        var configuration = SocketIOConfiguration(pingInterval: .seconds(5), pingTimeout: .seconds(5), connectTimeout: .seconds(5))
        configure(&configuration)
        return SocketIOServer(configuration: configuration)
    }

    @Test("defaults: 64 KiB payload, 10 s connect timeout, bounded pending events and sessions")
    func defaults() {
        let configuration = SocketIOConfiguration()
        #expect(configuration.engine.maxPayload == 64 * 1024)
        #expect(EngineIOConfiguration().maxPayload == 64 * 1024)
        #expect(configuration.connectTimeout == .seconds(10))
        #expect(configuration.maxPendingEvents == 32)
        #expect(configuration.engine.maxPendingSessions == 4096)
        #expect(configuration.retainsHandshakeAuth)
    }

    @Test("a client flooding a slow handler is read no faster than its handlers run; queued events die with the connection")
    func floodIsBounded() async throws {
        let io = makeServer { $0.maxPendingEvents = 16 }
        let stats = FloodStats()
        io.of("/").on("slow") { event in
            stats.started.add(1, ordering: .relaxed)
            if event.socket.client.engine.isClosed { stats.startedAfterClose.add(1, ordering: .relaxed) }
            stats.maxPending.max(event.socket.client.pendingPacketCount, ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(10))
        }
        try await withLiveServer(io) { port, _ in
            let (ws, reply) = try await connectSocket(port: port)
            #expect(reply.hasPrefix("0{\"sid\""))
            for i in 0..<20_000 { ws.send("42[\"slow\",\(i)]") }
            try await Task.sleep(for: .seconds(1))
            let socket = try #require(io.of("/").sockets.first)
            #expect(socket.client.pendingPacketCount <= 16)
            socket.disconnect(close: true)
            let startedAtClose = stats.started.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(500))
            let total = stats.started.load(ordering: .relaxed)
            #expect(stats.maxPending.load(ordering: .relaxed) <= 16)
            #expect(stats.startedAfterClose.load(ordering: .relaxed) == 0)
            // At most the one running when the connection closed finishes; nothing queued starts.
            #expect(total - startedAtClose <= 1, "\(total - startedAtClose) events started after the close")
            #expect(total < 500, "\(total) events ran in 1.5 s of 10 ms handlers")
            #expect(socket.client.pendingPacketCount == 0)
            ws.close()
        }
    }

    @Test("a handler awaiting its own client's ack is not stuck behind a full queue")
    func ackPassesFullQueue() async throws {
        let io = makeServer { $0.maxPendingEvents = 4 }
        let answers = Recorder<String>()
        io.of("/").on("ask") { event in
            let reply = try await event.socket.emitWithAck("q", timeout: .seconds(3))
            await answers.record(reply.first?.stringValue ?? "?")
        }
        io.of("/").on("noop") { _ in }
        try await withLiveServer(io) { port, _ in
            let (ws, _) = try await connectSocket(port: port)
            ws.send(#"42["ask"]"#)
            // The question goes out before any of these is read: they fill the queue behind "ask".
            for _ in 0..<6 { ws.send(#"42["noop"]"#) }
            let question = try #require(await ws.nextText())
            #expect(question.hasPrefix("42") && question.hasSuffix(#"["q"]"#))
            let id = question.dropFirst(2).prefix { $0.isNumber }
            ws.send("43\(id)[\"yes\"]")
            #expect(await answers.wait(count: 1, timeout: .seconds(10)) == ["yes"])
            ws.close()
        }
    }

    @Test("a binary packet whose attachments together exceed maxPayload closes the connection")
    func attachmentsBounded() async throws {
        let io = makeServer { $0.engine.maxPayload = 1000 }
        let received = Recorder<Int>()
        io.of("/").on("bin") { event in await received.record(event.arguments.count) }
        try await withLiveServer(io) { port, _ in
            let (ok, _) = try await connectSocket(port: port)
            ok.send(#"452-["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            ok.send(binary: [UInt8](repeating: 1, count: 400))
            ok.send(binary: [UInt8](repeating: 2, count: 400))
            #expect(await received.wait(count: 1) == [2])

            let (ws, _) = try await connectSocket(port: port)
            ws.send(#"452-["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            ws.send(binary: [UInt8](repeating: 1, count: 600))
            ws.send(binary: [UInt8](repeating: 2, count: 600))  // each is under maxPayload, both are not
            #expect(await ws.waitForClose())
            #expect(await received.values == [2])
            ok.close()
        }
    }

    @Test("handshakes beyond maxPendingSessions get 503 on both transports; a CONNECT frees the slot")
    func pendingSessionsCapped() async throws {
        let io = makeServer { $0.engine.maxPendingSessions = 2 }
        try await withLiveServer(io) { port, client in
            let first = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            let sid = try #require(try JSONValue(parsing: String(String(buffer: first.body).dropFirst()))["sid"]?.stringValue)
            let second = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            #expect(second.status == .ok)
            #expect(io.engine.pendingSessionCount == 2)

            let refused = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            #expect(refused.status == .serviceUnavailable)
            #expect(String(buffer: refused.body) == #"{"code":6,"message":"Server busy"}"#)
            #expect(io.engine.sessionCount == 2)

            // Joining a namespace establishes the session: room for one more.
            let uri = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            #expect(try await client.request(uri, .post, body: "40").status == .ok)
            #expect(await eventually { io.engine.pendingSessionCount == 1 })
            #expect(try await client.request("/socket.io/?EIO=4&transport=polling", .get).status == .ok)
            #expect(io.engine.pendingSessionCount == 2)

            // HummingbirdWebSocket only upgrades a connection's first request: a fresh connection.
            let upgrade = try Self.rawUpgrade(port: port)
            #expect(upgrade.hasPrefix("HTTP/1.1 503"))
            #expect(upgrade.hasSuffix(#"{"code":6,"message":"Server busy"}"#))
            #expect(io.engine.sessionCount == 3)
        }
    }

    @Test("a session that joins no namespace within connectTimeout is closed, on both transports")
    func connectTimeout() async throws {
        // 3 s, not less: on a loaded machine the polling handshake below can take over a second to be answered.
        let io = makeServer { $0.connectTimeout = .seconds(3) }
        try await withLiveServer(io) { port, client in
            let ws = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket")
            #expect(await ws.nextText()?.hasPrefix("0{") == true)
            let handshake = try await client.request("/socket.io/?EIO=4&transport=polling", .get)
            let sid = try #require(try JSONValue(parsing: String(String(buffer: handshake.body).dropFirst()))["sid"]?.stringValue)
            #expect(io.engine.session(id: sid)?.isPending == true)
            #expect(await ws.waitForClose(timeout: .seconds(10)))
            let poll = try await client.request("/socket.io/?EIO=4&transport=polling&sid=\(sid)", .get)
            #expect(poll.status == .badRequest || String(buffer: poll.body) == "1")
            #expect(await eventually { io.engine.pendingSessionCount == 0 })
        }
    }

    /// Sends a WebSocket handshake for a new session on a fresh connection; returns the whole answer
    /// (a refused upgrade is answered and the connection closed).
    static func rawUpgrade(port: Int, extraHeaders: String = "") throws -> String {
        let fd = try connectLoopback(port: port, receiveTimeout: 10)
        defer { close(fd) }
        let request = Array(
            ("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n").utf8
        )
        guard send(fd, request, request.count, 0) == request.count else { throw TestFailure("send() failed") }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    @Test("the handshake filter sees the client's address and refuses with its status and Retry-After, before a session exists")
    func handshakeFilter() async throws {
        let seen = Mutex<[String]>([])
        let io = makeServer {
            $0.engine.handshakeFilter = { request in
                let address = request.remoteAddress?.ipAddress ?? "none"
                seen.withLock { $0.append("\(request.query["transport"] ?? "?") \(address)") }
                return request.headers[HTTPField.Name("x-refuse")!] == nil ? .allow : .refuse(status: 429, retryAfter: 7)
            }
        }
        try await withLiveServer(io) { port, client in
            let refuse: HTTPFields = [HTTPField.Name("x-refuse")!: "1"]
            let polling = try await client.executeRequest(uri: "/socket.io/?EIO=4&transport=polling", method: .get, headers: refuse, body: nil)
            #expect(polling.status == .tooManyRequests)
            #expect(polling.headers[.retryAfter] == "7")
            #expect(String(buffer: polling.body) == #"{"code":7,"message":"Handshake refused"}"#)

            // Allowed handshakes proceed; the filter runs once per handshake, never for later requests.
            let (ws, reply) = try await connectSocket(port: port)
            #expect(reply.hasPrefix("0{\"sid\""))
            #expect(try await client.request("/socket.io/?EIO=4&transport=polling", .get).status == .ok)
            #expect(io.engine.sessionCount == 2)

            let upgrade = try Self.rawUpgrade(port: port, extraHeaders: "X-Refuse: 1\r\n")
            #expect(upgrade.hasPrefix("HTTP/1.1 429"))
            #expect(upgrade.lowercased().contains("retry-after: 7\r\n"))
            #expect(upgrade.hasSuffix(#"{"code":7,"message":"Handshake refused"}"#))
            #expect(io.engine.sessionCount == 2)
            #expect(seen.withLock { $0 } == ["polling 127.0.0.1", "websocket 127.0.0.1", "polling 127.0.0.1", "websocket 127.0.0.1"])
            ws.close()
        }
    }

    @Test("the CONNECT payload can be released after middleware")
    func releaseAuth() async throws {
        let io = makeServer { $0.retainsHandshakeAuth = false }
        let seen = Recorder<String>()
        io.of("/").use { socket in await seen.record("middleware \(socket.handshake.auth["token"]?.stringValue ?? "-")") }
        io.of("/").onConnection { socket in await seen.record("connected \(socket.handshake.auth.jsonString)") }
        let kept = makeServer()
        kept.of("/").onConnection { socket in
            socket.releaseHandshakeAuth()
            await seen.record("released \(socket.handshake.auth.jsonString) \(socket.handshake.query["EIO"] ?? "")")
        }
        try await withLiveServer(io) { port, _ in
            let (ws, _) = try await connectSocket(port: port, auth: #"{"token":"abc"}"#)
            #expect(await seen.wait(count: 2) == ["middleware abc", "connected {}"])
            ws.close()
        }
        try await withLiveServer(kept) { port, _ in
            let (ws, _) = try await connectSocket(port: port, auth: #"{"token":"abc"}"#)
            #expect(await seen.wait(count: 3).last == "released {} 4")
            ws.close()
        }
    }
}
