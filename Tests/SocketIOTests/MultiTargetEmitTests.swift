import Foundation
import NIOCore
import Testing
import WebSocketTestSupport

@testable import SocketIO

/// `SocketIONamespace.emit(_:each:)`: one event, a different payload per room, sent as one step; with connection
/// state recovery each payload is recorded and replayed like any other event.
@Suite("Socket.IO multi-target emit")
struct MultiTargetEmitTests {
    let recovery = RecoveryTests()

    @Test("each room gets its own arguments with its own offset; a dropped client gets its own one replayed, once, in order")
    func eachRoomItsOwn() async throws {
        let io = recovery.makeServer()
        try await withLiveServer(io) { port, _ in
            let alice = try await recovery.connect(port)
            let bob = try await recovery.connect(port)
            try await alice.join("a")
            try await bob.join("b")
            await io.of("/").to("a", "b").emit("n", "before")
            let seen = try await alice.nextEvent()
            #expect(try await bob.nextEvent().prefix(2) == ["n", "before"])
            try await alice.drop(io: io)

            await io.of("/").emit(
                "view",
                each: [
                    SocketIOEmission(rooms: ["a"], arguments: ["for alice"]),
                    SocketIOEmission(rooms: ["b"], arguments: ["for bob", 2]),
                    SocketIOEmission(rooms: ["nobody"], arguments: ["for nobody"]),
                    SocketIOEmission(rooms: [], arguments: ["an empty target reaches no one"]),
                ])
            await io.of("/").to("a", "b").emit("n", "after")

            let live = try await bob.nextEvent()
            #expect(live.prefix(3) == ["view", "for bob", 2])
            #expect(live.count == 4 && live.last?.stringValue != nil)
            let next = try await bob.nextEvent()
            #expect(next.prefix(2) == ["n", "after"])

            let back = try await recovery.connect(port, auth: ["pid": .string(alice.pid ?? ""), "offset": seen.last ?? .null])
            #expect(back.recovered)
            let first = try await back.nextEvent()
            let second = try await back.nextEvent()
            #expect(first.prefix(2) == ["view", "for alice"])
            #expect(second.prefix(2) == ["n", "after"])
            // Offsets rise across the emit and the events around it: one counter, recorded in delivery order.
            let counters = [seen, first, second].compactMap { $0.last?.stringValue?.split(separator: "-").last.flatMap { Int($0) } }
            #expect(counters.count == 3 && zip(counters, counters.dropFirst()).allSatisfy { $0 < $1 })
            let extra = try? await back.nextEvent(timeout: .milliseconds(300))
            #expect(extra == nil, "nothing more is replayed")
            for ws in [back.ws, bob.ws] { ws.close() }
        }
    }

    @Test("without recovery, or with a failing store, each room still gets its own arguments, without an offset")
    func withoutOffsets() async throws {
        let plain = makeRoomServer()
        let store = FaultyRecoveryStore(configuration: .init())
        store.fail(true)
        for io in [plain, recovery.makeServer(store: store)] {
            try await withLiveServer(io) { port, _ in
                let (ws, reply) = try await connectSocket(port: port, auth: "{}")
                #expect(reply.hasPrefix("0"))
                ws.send(#"421["join","a"]"#)
                #expect(await ws.nextText() == #"431["joined"]"#)
                await io.of("/").emit(
                    "view", each: [SocketIOEmission(rooms: ["b"], arguments: ["not mine"]), SocketIOEmission(rooms: ["a"], arguments: ["mine"])])
                #expect(await ws.nextText() == #"42["view","mine"]"#)
                ws.close()
            }
        }
    }

    @Test("a value in pieces is written, compared and hashed as its joined text")
    func encodedPieces() throws {
        let head = ByteBuffer(string: #"{"members":[1,2,3]"#)
        let pieces = EncodedJSON(trustingPieces: [head, ByteBuffer(string: #","n":1}"#)])
        let whole = EncodedJSON(trusting: ByteBuffer(string: #"{"members":[1,2,3],"n":1}"#))
        #expect(pieces == whole)
        #expect(pieces.hashValue == whole.hashValue)
        #expect(pieces.byteCount == whole.byteCount)
        #expect(String(buffer: pieces.bytes) == #"{"members":[1,2,3],"n":1}"#)
        #expect(pieces.value == ["members": [1, 2, 3], "n": 1])
        let packet = SocketIOPacket(type: .event, data: ["view", .encoded(pieces)])
        #expect(packet.encodedString == #"2["view",{"members":[1,2,3],"n":1}]"#)
        #expect(pieces != EncodedJSON(trustingPieces: [head, ByteBuffer(string: #","n":2}"#)]))
    }
}
