import NIOCore
import Testing

@testable import SocketIO

@Suite("Engine.IO packets")
struct EngineIOPacketTests {
    @Test("decodes the packets a client may send")
    func decodeText() {
        #expect(EngineIOInboundPacket(text: "4hello") == .message(.text("hello")))
        #expect(EngineIOInboundPacket(text: "4") == .message(.text("")))
        #expect(EngineIOInboundPacket(text: "2probe") == .ping("probe"))
        #expect(EngineIOInboundPacket(text: "3") == .pong(""))
        #expect(EngineIOInboundPacket(text: "1") == .close)
        #expect(EngineIOInboundPacket(text: "5") == .upgrade)
        #expect(EngineIOInboundPacket(text: "6") == .noop)
    }

    @Test("refuses what a client may not send", arguments: ["", "0{}", "7", "abc", "x4hello"])
    func refuses(_ text: String) {
        #expect(EngineIOInboundPacket(text: Substring(text)) == nil)
    }

    @Test("splits polling payloads and decodes base64 binary")
    func payload() {
        let packets = EngineIOInboundPacket.decodePayload("4hello\u{1e}bAQIDBA==\u{1e}3")
        #expect(packets == [.message(.text("hello")), .message(.binary(ByteBuffer(bytes: [1, 2, 3, 4]))), .pong("")])
        #expect(EngineIOInboundPacket.decodePayload("4ok\u{1e}b!!notbase64") == nil)
        #expect(EngineIOInboundPacket.decodePayload("4ok\u{1e}") == nil)
    }

    @Test("encodes polling records")
    func encodeRecords() {
        var body = ByteBuffer()
        EngineIOFrame.message(.text("hi")).appendPollingRecord(to: &body)
        body.writeInteger(UInt8(0x1E))
        EngineIOFrame.message(.binary(ByteBuffer(bytes: [1, 2, 3, 4]))).appendPollingRecord(to: &body)
        #expect(String(buffer: body) == "4hi\u{1e}bAQIDBA==")
    }
}
