import Foundation
import NIOCore

/// One encoded outbound Engine.IO packet, ready for either transport.
///
/// Text frames hold the full packet (type digit included), so one `EngineIOFrame` built for a
/// broadcast is shared, copy-free, by every recipient's queue (`ByteBuffer` is copy-on-write).
struct EngineIOFrame: Sendable {
    var isBinary: Bool
    var data: ByteBuffer

    /// Bytes counted against the outbound buffer limit.
    var cost: Int { data.readableBytes }

    static func text(_ type: EngineIOPacketType, _ payload: String = "") -> EngineIOFrame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 + payload.utf8.count)
        buffer.writeInteger(type.rawValue)
        buffer.writeString(payload)
        return EngineIOFrame(isBinary: false, data: buffer)
    }

    /// A `message` packet whose text (without the type digit) is in `payload`.
    static func message(_ message: EngineIOMessage) -> EngineIOFrame {
        switch message {
        case .text(let text): return .text(.message, text)
        case .binary(let bytes): return EngineIOFrame(isBinary: true, data: bytes)
        }
    }

    static let ping = EngineIOFrame.text(.ping)
    static let noop = EngineIOFrame.text(.noop)
    static let close = EngineIOFrame.text(.close)

    /// Appends this frame as a long-polling record: text as is, binary as `b` + base64.
    func appendPollingRecord(to buffer: inout ByteBuffer) {
        if isBinary {
            buffer.writeInteger(UInt8(ascii: "b"))
            buffer.writeString(Data(data.readableBytesView).base64EncodedString())
        } else {
            var copy = data
            buffer.writeBuffer(&copy)
        }
    }
}
