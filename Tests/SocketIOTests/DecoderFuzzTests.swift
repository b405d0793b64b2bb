import NIOCore
import Testing

@testable import SocketIO

/// Property tests over thousands of seeded random and mutated inputs: decoders never trap, and
/// whatever they accept survives an encode/decode round trip unchanged.
@Suite("Decoder fuzzing")
struct DecoderFuzzTests {
    static let cases = 5_000

    @Test("JSON parser: never traps; accepted documents round-trip", arguments: [1, 2, 3] as [UInt64])
    func json(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var accepted = 0
        for _ in 0..<Self.cases {
            let input = FuzzInput.string(&rng)
            guard let value = try? JSONValue(parsing: input) else { continue }
            accepted += 1
            // Like JavaScript, numbers beyond Double's range parse as infinity and are written as null.
            guard value.allNumbersFinite else { continue }
            #expect(try JSONValue(parsing: value.jsonString) == value, "input: \(input)")
        }
        #expect(accepted > 0)
    }

    @Test("Socket.IO decoder: never traps; accepted packets round-trip", arguments: [4, 5, 6] as [UInt64])
    func socketIO(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var decoder = SocketIOPacketDecoder()
        var accepted = 0
        var refused = 0
        for _ in 0..<Self.cases {
            let packet: SocketIOPacket?
            do {
                if Int.random(in: 0..<5, using: &rng) == 0 {
                    packet = try decoder.decode(binary: ByteBuffer(bytes: FuzzInput.bytes(&rng)))
                } else {
                    packet = try decoder.decode(text: FuzzInput.string(&rng))
                }
            } catch {
                // A refused packet closes the connection; the next one starts on a fresh decoder.
                decoder = SocketIOPacketDecoder()
                refused += 1
                continue
            }
            guard let packet else { continue }
            accepted += 1
            var again = SocketIOPacketDecoder()
            let (text, attachments) = packet.encode()
            var body = text
            body.moveReaderIndex(forwardBy: 1)  // the Engine.IO "4"
            var decoded = try again.decode(text: String(buffer: body))
            for attachment in attachments { decoded = try again.decode(binary: attachment) }
            #expect(decoded == packet)
        }
        #expect(accepted > 0)
        #expect(refused > 0)
    }

    @Test("Engine.IO payload decoder: never traps", arguments: [7, 8] as [UInt64])
    func engineIO(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var accepted = 0
        for _ in 0..<Self.cases {
            var records: [String] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let record = FuzzInput.string(&rng)
                records.append(Bool.random(using: &rng) ? "4" + record : record)
            }
            if EngineIOInboundPacket.decodePayload(records.joined(separator: "\u{1e}")) != nil { accepted += 1 }
        }
        #expect(accepted > 0)
    }
}

extension JSONValue {
    fileprivate var allNumbersFinite: Bool {
        switch self {
        case .number(let number): return number.isFinite
        case .array(let elements): return elements.allSatisfy(\.allNumbersFinite)
        case .object(let members): return members.values.allSatisfy(\.allNumbersFinite)
        default: return true
        }
    }
}
