import Foundation
import Testing
import WebSocketTestSupport

@testable import SocketIO

/// Connection state recovery, through raw Engine.IO / Socket.IO packets over a live server.
@Suite("Socket.IO connection state recovery")
struct RecoveryTests {
    /// A server with recovery on whose clients join rooms with `join` (acked) and can be told apart by `auth.name`.
    func makeServer(_ recovery: SocketIORecoveryConfiguration = .init(), store: (any SocketIORecoveryStore)? = nil) -> SocketIOServer {
        let configuration = SocketIOConfiguration(
            pingInterval: .seconds(5), pingTimeout: .seconds(5), connectTimeout: .seconds(5), connectionStateRecovery: recovery)
        let io = SocketIOServer(configuration: configuration, recoveryStore: store)
        io.of("/").use { socket in
            if !socket.recovered { socket.data = ["name": socket.handshake.auth["name"] ?? .null] }
        }
        io.of("/").on("join") { event in
            await event.socket.join(event.payload?.stringValue ?? "")
            event.ack?("joined")
        }
        return io
    }

    /// A connected client: its socket id, pid and the connection.
    struct Client {
        let ws: WSTestConnection
        let reply: JSONValue
        var sid: String { reply["sid"]?.stringValue ?? "" }
        var pid: String? { reply["pid"]?.stringValue }
        var recovered: Bool { reply["recovered"]?.boolValue ?? false }

        /// The next EVENT packet's arguments (name first).
        func nextEvent(timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
            guard let text = await ws.nextText(timeout: timeout) else { throw TestFailure("no event") }
            guard text.hasPrefix("42") else { throw TestFailure("not an event: \(text)") }
            return try JSONValue(parsing: String(text.dropFirst(2))).arrayValue ?? []
        }

        func join(_ room: String) async throws {
            ws.send(#"421["join","\#(room)"]"#)
            guard await ws.nextText() == #"431["joined"]"# else { throw TestFailure("join not acked") }
        }
    }

    func connect(_ port: Int, auth: JSONValue = [:]) async throws -> Client {
        let (ws, reply) = try await connectSocket(port: port, auth: auth.jsonString)
        guard reply.hasPrefix("0") else { throw TestFailure("refused: \(reply)") }
        return Client(ws: ws, reply: try JSONValue(parsing: String(reply.dropFirst())))
    }

    /// Closes the client's connection and waits until the server has kept its session.
    func drop(_ client: Client, io: SocketIOServer) async throws {
        client.ws.close()
        let gone = await eventually { io.of("/").socket(id: client.sid) == nil }
        guard gone else { throw TestFailure("socket still connected") }
        // The session is persisted by the disconnect handling, right before the socket leaves its rooms.
        _ = await eventually { await io.of("/").adapter.rooms(of: client.sid).isEmpty }
    }

    @Test("CONNECT carries a pid; room events carry their offset last; acked and volatile events carry none")
    func offsets() async throws {
        let io = makeServer()
        io.of("/").on("ping-me") { event in
            _ = try? await event.socket.emitWithAck("with-ack", "x", timeout: .milliseconds(500))
        }
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port)
            #expect(client.pid?.isEmpty == false)
            #expect(client.pid != client.sid)
            #expect(client.recovered == false)
            try await client.join("r")
            await io.of("/").to("r").emit("news", "one")
            await io.of("/").to("r").emit("news", "two")
            let first = try await client.nextEvent()
            let second = try await client.nextEvent()
            #expect(first.count == 3 && second.count == 3)
            #expect(first.prefix(2) == ["news", "one"])
            let firstOffset = try #require(first.last?.stringValue)
            let secondOffset = try #require(second.last?.stringValue)
            #expect(firstOffset != secondOffset && firstOffset != "one")
            await io.of("/").to("r").volatile.emit("volatile", "v")
            #expect(try await client.nextEvent() == ["volatile", "v"])
            client.ws.send(#"42["ping-me"]"#)
            let acked = try #require(await client.ws.nextText())
            #expect(acked.hasPrefix("420[") && acked.hasSuffix(#"["with-ack","x"]"#))
            client.ws.close()
        }
    }

    @Test("a client back within the window gets its id, rooms, data and every event it missed, once and in order")
    func recoversMissedEvents() async throws {
        let io = makeServer()
        let recoveredOnServer = Recorder<Bool>()
        io.of("/").onConnection { socket in await recoveredOnServer.record(socket.recovered) }
        io.of("/").on("whoami") { event in event.ack?(event.socket.data["name"] ?? .null) }
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port, auth: ["name": "alice"])
            try await client.join("r")
            await io.of("/").to("r").emit("n", 1)
            let seen = try await client.nextEvent()
            #expect(seen.prefix(2) == ["n", 1])
            try await drop(client, io: io)

            await io.of("/").to("r").emit("n", 2)
            await io.of("/").to("r").emit("n", 3)
            await io.of("/").to("elsewhere").emit("n", 99)
            await io.of("/").except("r").emit("n", 98)
            await io.of("/").to(client.sid).emit("n", 4)

            let back = try await connect(port, auth: ["pid": .string(client.pid ?? ""), "offset": seen.last ?? .null, "name": "mallory"])
            #expect(back.recovered)
            #expect(back.sid == client.sid)
            #expect(back.pid == client.pid)
            var replayed: [JSONValue] = []
            for _ in 0..<3 { replayed.append(try await back.nextEvent()[1]) }
            #expect(replayed == [2, 3, 4])
            // Rooms are back: a live event to "r" arrives, and data is the dropped socket's.
            await io.of("/").to("r").emit("n", 5)
            #expect(try await back.nextEvent()[1] == 5)
            back.ws.send(#"427["whoami"]"#)
            #expect(await back.ws.nextText() == #"437["alice"]"#)
            #expect(await recoveredOnServer.wait(count: 2) == [false, true])
            back.ws.close()
        }
    }

    @Test("a session recovers once; an unknown pid or offset is a new session")
    func oneRecoveryPerSession() async throws {
        let io = makeServer()
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port)
            try await client.join("r")
            await io.of("/").to("r").emit("n", 1)
            let offset = try #require(try await client.nextEvent().last)
            try await drop(client, io: io)

            let unknownPid = try await connect(port, auth: ["pid": "nope", "offset": offset])
            #expect(!unknownPid.recovered && unknownPid.sid != client.sid && unknownPid.pid != client.pid)
            let unknownOffset = try await connect(port, auth: ["pid": .string(client.pid ?? ""), "offset": "bogus-1"])
            #expect(!unknownOffset.recovered && unknownOffset.pid != client.pid)
            // The session was taken by the attempt above, which could not be told what it missed: it is gone.
            let again = try await connect(port, auth: ["pid": .string(client.pid ?? ""), "offset": offset])
            #expect(!again.recovered)
            // A new session has its own rooms only.
            await io.of("/").to("r").emit("n", 2)
            await io.of("/").to(again.sid).emit("n", 3)
            #expect(try await again.nextEvent()[1] == 3)
            for ws in [unknownPid.ws, unknownOffset.ws, again.ws] { ws.close() }
        }
    }

    @Test("beyond the window a client is a new session")
    func windowExpires() async throws {
        let io = makeServer(.init(window: .milliseconds(300)))
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port)
            try await client.join("r")
            await io.of("/").to("r").emit("n", 1)
            let offset = try #require(try await client.nextEvent().last)
            try await drop(client, io: io)
            try await Task.sleep(for: .milliseconds(600))
            let late = try await connect(port, auth: ["pid": .string(client.pid ?? ""), "offset": offset])
            #expect(!late.recovered)
            #expect(late.sid != client.sid)
            late.ws.close()
        }
    }

    @Test("memory stays bounded: a session that missed more than its cap, or whose offset fell out of the log, is new")
    func limits() async throws {
        let io = makeServer(.init(maxEvents: 5, maxEventsPerSession: 2))
        try await withLiveServer(io) { port, _ in
            // Three missed events for a cap of two.
            let capped = try await connect(port)
            try await capped.join("a")
            await io.of("/").to("a").emit("n", 0)
            let cappedOffset = try #require(try await capped.nextEvent().last)
            try await drop(capped, io: io)
            for value in 1...3 { await io.of("/").to("a").emit("n", .number(Double(value))) }
            let tooMany = try await connect(port, auth: ["pid": .string(capped.pid ?? ""), "offset": cappedOffset])
            #expect(!tooMany.recovered)
            tooMany.ws.close()

            // One missed event, but six events were recorded since: the log keeps five.
            let old = try await connect(port)
            try await old.join("b")
            await io.of("/").to("b").emit("n", 0)
            let oldOffset = try #require(try await old.nextEvent().last)
            try await drop(old, io: io)
            await io.of("/").to("b").emit("n", 1)
            for _ in 0..<5 { await io.of("/").to("nobody").emit("n", 2) }
            let pruned = try await connect(port, auth: ["pid": .string(old.pid ?? ""), "offset": oldOffset])
            #expect(!pruned.recovered)
            pruned.ws.close()
        }
    }

    @Test("a client that received nothing recovers from its session's start, never from an older offset")
    func baseOffset() async throws {
        let io = makeServer()
        try await withLiveServer(io) { port, _ in
            let first = try await connect(port)
            try await first.join("r")
            await io.of("/").to("r").emit("n", 1)
            let staleOffset = try #require(try await first.nextEvent().last)
            await io.of("/").to("r").emit("n", 10)
            first.ws.close()

            // A later session of the same client, which got no event before dropping.
            let quiet = try await connect(port)
            try await quiet.join("r")
            try await drop(quiet, io: io)
            await io.of("/").to("r").emit("n", 2)
            // It presents the offset of its earlier session: event 10 predates this session and is not replayed.
            let back = try await connect(port, auth: ["pid": .string(quiet.pid ?? ""), "offset": staleOffset])
            #expect(back.recovered)
            #expect(try await back.nextEvent()[1] == 2)
            try await back.drop(io: io)
            await io.of("/").to("r").emit("n", 3)
            // Without any offset (a client that never saw one), from the session's start as well.
            let again = try await connect(port, auth: ["pid": .string(back.pid ?? "")])
            #expect(again.recovered)
            #expect(try await again.nextEvent()[1] == 2)
            #expect(try await again.nextEvent()[1] == 3)
            again.ws.close()
        }
    }

    @Test("middleware that refuses keeps the session for a later attempt; one that declines drops it")
    func middlewareDecides() async throws {
        let io = makeServer()
        io.of("/").use { socket in
            if socket.handshake.auth["token"]?.stringValue == "expired" { throw SocketIOConnectError("unauthorized") }
            if socket.recovered, socket.data["name"] != socket.handshake.auth["name"] { socket.declineRecovery() }
        }
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port, auth: ["name": "alice"])
            try await client.join("r")
            await io.of("/").to("r").emit("n", 1)
            let offset = try #require(try await client.nextEvent().last)
            try await drop(client, io: io)
            await io.of("/").to("r").emit("n", 2)

            let (refused, refusal) = try await connectSocket(
                port: port, auth: (["pid": .string(client.pid ?? ""), "offset": offset, "token": "expired", "name": "alice"] as JSONValue).jsonString)
            #expect(refusal.hasPrefix("4"))
            refused.close()
            let back = try await connect(port, auth: ["pid": .string(client.pid ?? ""), "offset": offset, "name": "alice"])
            #expect(back.recovered)
            #expect(try await back.nextEvent()[1] == 2)
            try await back.drop(io: io)

            let intruder = try await connect(port, auth: ["pid": .string(back.pid ?? ""), "offset": offset, "name": "mallory"])
            #expect(!intruder.recovered)
            #expect(intruder.pid != back.pid)
            // Declined for good: not even its owner gets it back now.
            let owner = try await connect(port, auth: ["pid": .string(back.pid ?? ""), "offset": offset, "name": "alice"])
            #expect(!owner.recovered)
            // The intruder did not get the session's rooms.
            await io.of("/").to("r").emit("n", 3)
            await io.of("/").to(intruder.sid).emit("n", 4)
            #expect(try await intruder.nextEvent()[1] == 4)
            intruder.ws.close()
            owner.ws.close()
        }
    }

    @Test("a socket the server disconnects, or that leaves, is not kept for recovery")
    func deliberateDisconnects() async throws {
        let io = makeServer()
        try await withLiveServer(io) { port, _ in
            let kicked = try await connect(port)
            await io.of("/").to("x").emit("n", 1)
            io.of("/").socket(id: kicked.sid)?.disconnect()
            #expect(await kicked.ws.nextText() == "41")
            let afterKick = try await connect(port, auth: ["pid": .string(kicked.pid ?? "")])
            #expect(!afterKick.recovered)

            let leaving = try await connect(port)
            leaving.ws.send("41")
            _ = await eventually { io.of("/").socket(id: leaving.sid) == nil }
            let afterLeave = try await connect(port, auth: ["pid": .string(leaving.pid ?? "")])
            #expect(!afterLeave.recovered)
            for ws in [kicked.ws, afterKick.ws, leaving.ws, afterLeave.ws] { ws.close() }
        }
    }

    @Test("under concurrent broadcasts a client dropping and recovering gets each event exactly once, in order")
    func concurrentBroadcasts() async throws {
        let io = makeServer()
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port)
            try await client.join("r")
            let senders = 4
            let perSender = 150
            let emitting = Task {
                await withTaskGroup(of: Void.self) { group in
                    for sender in 0..<senders {
                        group.addTask {
                            for index in 0..<perSender {
                                await io.of("/").to("r").emit("n", .number(Double(sender)), .number(Double(index)))
                                if index % 10 == 0 { await Task.yield() }
                            }
                        }
                    }
                }
            }
            var received: [[JSONValue]] = []
            for _ in 0..<100 { received.append(try await client.nextEvent()) }
            client.ws.close()
            var current = client
            // Drop and recover twice while the senders run, then read to the end.
            for round in 0..<3 {
                let previous = current.sid
                _ = await eventually { io.of("/").socket(id: previous) == nil }
                let offset = received.last?.last ?? .null
                current = try await connect(port, auth: ["pid": .string(current.pid ?? ""), "offset": offset])
                #expect(current.recovered)
                let target = round < 2 ? received.count + 80 : senders * perSender
                while received.count < target {
                    guard let event = try? await current.nextEvent(timeout: .seconds(5)) else { break }
                    received.append(event)
                }
                if round < 2 { current.ws.close() }
            }
            await emitting.value
            while let event = try? await current.nextEvent(timeout: .milliseconds(500)) { received.append(event) }
            current.ws.close()
            var next = [Int](repeating: 0, count: senders)
            var inOrder = true
            for event in received {
                guard let sender = event[1].intValue, let index = event[2].intValue else { continue }
                if next[sender] != index { inOrder = false }
                next[sender] = index + 1
            }
            #expect(inOrder)
            // Each connection saw the offsets rising (the memory store's offsets end in its counter): events reach a
            // socket in the order they were recorded, which is what makes "everything after my last offset" exact.
            let counters = received.compactMap { $0.last?.stringValue?.split(separator: "-").last.flatMap { Int($0) } }
            #expect(counters.count == received.count)
            #expect(zip(counters, counters.dropFirst()).allSatisfy { $0 < $1 })
            #expect(received.count == senders * perSender)
            #expect(next == [Int](repeating: perSender, count: senders))
        }
    }

    @Test("a failing store costs no connection: events go out without an offset, and nobody recovers for a window")
    func failingStore() async throws {
        let store = FaultyRecoveryStore(configuration: .init())
        let io = makeServer(store: store)
        try await withLiveServer(io) { port, _ in
            let client = try await connect(port)
            try await client.join("r")
            await io.of("/").to("r").emit("n", 1)
            let offset = try #require(try await client.nextEvent().last)
            store.fail(true)
            await io.of("/").to("r").emit("n", 2)
            #expect(try await client.nextEvent() == ["n", 2])
            // While the store fails, connections still open (as new sockets).
            let meanwhile = try await connect(port, auth: ["pid": "whatever", "offset": offset])
            #expect(!meanwhile.recovered)
            store.fail(false)
            try await drop(client, io: io)
            await io.of("/").to("r").emit("n", 3)
            // Event 2 is in no log: the client cannot be told everything it missed, so it is not recovered.
            let back = try await connect(port, auth: ["pid": .string(client.pid ?? ""), "offset": offset])
            #expect(!back.recovered)
            for ws in [meanwhile.ws, back.ws] { ws.close() }
        }
    }

    @Test("the in-memory store forgets expired sessions and events and keeps within its limits")
    func memoryStoreBounds() async throws {
        let store = SocketIOMemoryRecoveryStore(configuration: .init(window: .milliseconds(200), maxEvents: 3, maxSessions: 2))
        for value in 0..<5 {
            _ = try await store.append(SocketIOPacket(type: .event, data: ["e", .number(Double(value))]), to: .init(rooms: ["r"]))
        }
        #expect(store.eventCount == 3)
        for pid in ["a", "b", "c"] {
            try await store.persist(
                SocketIOPersistedSession(namespace: "/", socketID: pid, pid: pid, rooms: ["r"], data: .null, baseOffset: nil, disconnectedAt: Date()))
        }
        #expect(store.sessionCount == 2)
        #expect(try await store.takeSession(pid: "a", namespace: "/") == nil)
        #expect(try await store.takeSession(pid: "b", namespace: "/other") == nil)
        try await Task.sleep(for: .milliseconds(300))
        _ = try await store.append(SocketIOPacket(type: .event, data: ["e"]), to: .init())
        #expect(store.eventCount == 1)
        #expect(store.sessionCount == 0)
        #expect(try await store.takeSession(pid: "c", namespace: "/") == nil)
    }

    @Test("a store that went quiet drops its expired sessions and events without being called again")
    func quietStoreSweeps() async throws {
        let store = SocketIOMemoryRecoveryStore(configuration: .init(window: .milliseconds(200)))
        _ = try await store.append(SocketIOPacket(type: .event, data: ["e"]), to: .init(rooms: ["r"]))
        for index in 0..<2_000 {
            let pid = "p\(index)"
            try await store.persist(
                SocketIOPersistedSession(namespace: "/", socketID: pid, pid: pid, rooms: ["r"], data: .null, baseOffset: nil, disconnectedAt: Date()))
        }
        #expect(store.sessionCount == 2_000 && store.eventCount == 1)
        // Nothing touches the store now: the counts are plain reads, which drop nothing themselves.
        let deadline = ContinuousClock.now + .seconds(5)
        while store.sessionCount > 0 || store.eventCount > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(store.sessionCount == 0)
        #expect(store.eventCount == 0)
    }
}

extension RecoveryTests.Client {
    /// Closes the connection and waits until the server kept the session.
    func drop(io: SocketIOServer) async throws {
        try await RecoveryTests().drop(self, io: io)
    }
}
