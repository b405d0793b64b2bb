public import NIOCore

extension SocketIOPacket {
    /// The packet as Engine.IO messages: the text part first, then one binary message per attachment.
    ///
    /// The text part starts with the Engine.IO `message` type (`4`), so it can be sent as is.
    public func encode() -> (text: ByteBuffer, attachments: [ByteBuffer]) {
        var body = ByteBuffer()
        var attachments: [ByteBuffer] = []
        data?.write(into: &body, attachments: &attachments)

        var text = ByteBuffer()
        text.reserveCapacity(body.readableBytes + namespace.utf8.count + 16)
        text.writeInteger(UInt8(ascii: "4"))
        var wireType = type
        if !attachments.isEmpty {
            if type == .event { wireType = .binaryEvent }
            if type == .ack { wireType = .binaryAck }
        }
        text.writeInteger(UInt8(ascii: "0") + wireType.rawValue)
        if wireType == .binaryEvent || wireType == .binaryAck {
            text.writeString(String(attachments.count))
            text.writeInteger(UInt8(ascii: "-"))
        }
        if namespace != "/" {
            text.writeString(namespace)
            text.writeInteger(UInt8(ascii: ","))
        }
        if let id {
            text.writeString(String(id))
        }
        text.writeBuffer(&body)
        return (text, attachments)
    }

    /// The text part as a string without the Engine.IO type prefix (for tests and logs).
    public var encodedString: String {
        var text = encode().text
        text.moveReaderIndex(forwardBy: 1)
        return String(buffer: text)
    }
}
