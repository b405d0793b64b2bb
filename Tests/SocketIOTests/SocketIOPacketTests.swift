import NIOCore
import Testing

@testable import SocketIO

@Suite("Socket.IO packets")
struct SocketIOPacketTests {
    private func decode(_ text: String) throws -> SocketIOPacket? {
        var decoder = SocketIOPacketDecoder()
        return try decoder.decode(text: text)
    }

    @Test("decodes every packet type")
    func decodeTypes() throws {
        #expect(try decode("0") == SocketIOPacket(type: .connect))
        #expect(try decode(#"0/admin,{"token":"123"}"#) == SocketIOPacket(type: .connect, namespace: "/admin", data: ["token": "123"]))
        #expect(try decode("1/admin,") == SocketIOPacket(type: .disconnect, namespace: "/admin"))
        #expect(try decode("0/custom") == SocketIOPacket(type: .connect, namespace: "/custom"))
        #expect(try decode(#"2["foo",1]"#) == SocketIOPacket(type: .event, data: ["foo", 1]))
        #expect(try decode(#"2/admin,456["bar"]"#) == SocketIOPacket(type: .event, namespace: "/admin", id: 456, data: ["bar"]))
        #expect(try decode(#"3/admin,456[]"#) == SocketIOPacket(type: .ack, namespace: "/admin", id: 456, data: []))
        #expect(try decode(#"4{"message":"Not authorized"}"#) == SocketIOPacket(type: .connectError, data: ["message": "Not authorized"]))
    }

    @Test("reassembles binary events and acks from attachments")
    func binary() throws {
        var decoder = SocketIOPacketDecoder()
        #expect(try decoder.decode(text: #"52-789["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#) == nil)
        #expect(try decoder.decode(binary: ByteBuffer(bytes: [1, 2, 3])) == nil)
        let packet = try decoder.decode(binary: ByteBuffer(bytes: [4]))
        #expect(packet == SocketIOPacket(type: .event, id: 789, data: ["upload", .binary(ByteBuffer(bytes: [1, 2, 3])), .binary(ByteBuffer(bytes: [4]))]))

        #expect(try decoder.decode(text: #"61-/admin,3[{"_placeholder":true,"num":0}]"#) == nil)
        let ack = try decoder.decode(binary: ByteBuffer(bytes: [9]))
        #expect(ack == SocketIOPacket(type: .ack, namespace: "/admin", id: 3, data: [.binary(ByteBuffer(bytes: [9]))]))
    }

    @Test("encodes as the official suite expects")
    func encode() {
        #expect(SocketIOPacket(type: .connect, data: ["sid": "abc"]).encodedString == #"0{"sid":"abc"}"#)
        #expect(SocketIOPacket(type: .connectError, namespace: "/random", data: ["message": "Invalid namespace"]).encodedString
            == #"4/random,{"message":"Invalid namespace"}"#)
        #expect(SocketIOPacket(type: .event, data: ["message-back", 1, "2", ["3": [true]]]).encodedString == #"2["message-back",1,"2",{"3":[true]}]"#)
        #expect(SocketIOPacket(type: .ack, id: 456, data: [1]).encodedString == "3456[1]")
        let binary = SocketIOPacket(type: .ack, id: 789, data: [.binary(ByteBuffer(bytes: [1])), .binary(ByteBuffer(bytes: [2]))])
        let (text, attachments) = binary.encode()
        #expect(String(buffer: text) == #"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        #expect(attachments.count == 2)
        #expect(SocketIOPacket(type: .disconnect, namespace: "/custom").encodedString == "1/custom,")
    }

    @Test("refuses malformed and illegal packets", arguments: [
        "", "abc", "7", "2{}", #"2abc["message"]"#, "2[]", "2[1,2", #"2["connect"]"#, #"2[{}]"#, "1[]", #"0"str""#,
        "3{}", "4[]", #"5["x"]"#, #"5a-["x"]"#, #"511-["x"]"#, #"2999999999999999999999["x"]"#, "\u{0}", "9",
    ])
    func refuses(_ text: String) {
        var decoder = SocketIOPacketDecoder()
        #expect(throws: SocketIOPacketDecoder.Error.self) { try decoder.decode(text: text) }
    }

    @Test("refuses binary without a pending packet and text while attachments are due")
    func binaryState() throws {
        var decoder = SocketIOPacketDecoder()
        #expect(throws: SocketIOPacketDecoder.Error.unexpectedBinary) { try decoder.decode(binary: ByteBuffer(bytes: [1])) }
        _ = try decoder.decode(text: #"51-["x",{"_placeholder":true,"num":0}]"#)
        #expect(throws: SocketIOPacketDecoder.Error.expectedBinary) { try decoder.decode(text: #"2["y"]"#) }
        var other = SocketIOPacketDecoder()
        _ = try other.decode(text: #"51-["x",{"_placeholder":true,"num":5}]"#)
        #expect(throws: SocketIOPacketDecoder.Error.invalidPayload) { try other.decode(binary: ByteBuffer(bytes: [1])) }
    }
}
