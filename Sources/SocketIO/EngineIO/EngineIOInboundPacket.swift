import Foundation
import NIOCore

/// A packet received from a client, decoded from a WebSocket message or a polling payload record.
enum EngineIOInboundPacket: Sendable, Equatable {
    case close
    case ping(String)
    case pong(String)
    case message(EngineIOMessage)
    case upgrade
    case noop

    /// Decodes a text record: a type digit followed by its data.
    /// Returns `nil` for anything a client may not send (unknown type, `open`, empty record).
    init?(text: Substring) {
        guard let first = text.utf8.first, let type = EngineIOPacketType(rawValue: first) else { return nil }
        let data = text.dropFirst()
        switch type {
        case .message: self = .message(.text(String(data)))
        case .ping: self = .ping(String(data))
        case .pong: self = .pong(String(data))
        case .close: self = .close
        case .upgrade: self = .upgrade
        case .noop: self = .noop
        case .open: return nil
        }
    }

    /// Decodes one record of a long-polling payload: `b` + base64 is binary, anything else text.
    init?(pollingRecord record: Substring) {
        if record.utf8.first == UInt8(ascii: "b") {
            guard let data = Data(base64Encoded: String(record.dropFirst())) else { return nil }
            var buffer = ByteBuffer()
            buffer.writeBytes(data)
            self = .message(.binary(buffer))
        } else {
            self.init(text: record)
        }
    }

    /// Splits a long-polling body on the record separator (0x1E) and decodes every record.
    /// Returns `nil` if any record is malformed: the reference server closes the session then.
    static func decodePayload(_ body: String) -> [EngineIOInboundPacket]? {
        var packets: [EngineIOInboundPacket] = []
        for record in body.split(separator: "\u{1e}", omittingEmptySubsequences: false) {
            guard let packet = EngineIOInboundPacket(pollingRecord: record) else { return nil }
            packets.append(packet)
        }
        return packets
    }
}
