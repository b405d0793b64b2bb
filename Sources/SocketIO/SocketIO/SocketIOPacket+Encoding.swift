public import NIOCore

extension SocketIOPacket {
    /// The packet as Engine.IO messages: the text part first, then one binary message per attachment.
    ///
    /// The text part starts with the Engine.IO `message` type (`4`), so it can be sent as is.
    public func encode() -> (text: ByteBuffer, attachments: [ByteBuffer]) {
        // Written straight after the header into one buffer sized up front: a payload of 100 KB (a large group's
        // conversation) is then copied once, not grown by doubling and copied again behind the header.
        var text = ByteBuffer()
        text.reserveCapacity((data?.encodedSizeHint ?? 0) + namespace.utf8.count + 32)
        writeHeader(into: &text, wireType: type, attachmentCount: 0)
        var attachments: [ByteBuffer] = []
        data?.write(into: &text, attachments: &attachments)
        guard !attachments.isEmpty else { return (text, []) }

        // Binary attachments change the header (type and count), which is known only now: write it again.
        var body = ByteBuffer()
        attachments = []
        data?.write(into: &body, attachments: &attachments)
        text = ByteBuffer()
        text.reserveCapacity(body.readableBytes + namespace.utf8.count + 32)
        let wireType: SocketIOPacketType = type == .ack ? .binaryAck : type == .event ? .binaryEvent : type
        writeHeader(into: &text, wireType: wireType, attachmentCount: attachments.count)
        text.writeBuffer(&body)
        return (text, attachments)
    }

    /// `4`, the packet type, the attachment count, the namespace and the id, as the wire has them before the data.
    private func writeHeader(into text: inout ByteBuffer, wireType: SocketIOPacketType, attachmentCount: Int) {
        text.writeInteger(UInt8(ascii: "4"))
        text.writeInteger(UInt8(ascii: "0") + wireType.rawValue)
        if wireType == .binaryEvent || wireType == .binaryAck {
            text.writeString(String(attachmentCount))
            text.writeInteger(UInt8(ascii: "-"))
        }
        if namespace != "/" {
            text.writeString(namespace)
            text.writeInteger(UInt8(ascii: ","))
        }
        if let id {
            text.writeString(String(id))
        }
    }

    /// The text part as a string without the Engine.IO type prefix (for tests and logs).
    public var encodedString: String {
        var text = encode().text
        text.moveReaderIndex(forwardBy: 1)
        return String(buffer: text)
    }
}
