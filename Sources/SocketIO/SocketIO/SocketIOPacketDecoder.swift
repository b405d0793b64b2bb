public import NIOCore

/// Decodes Socket.IO packets from Engine.IO messages, reassembling binary packets.
///
/// One decoder per connection: a BINARY_EVENT / BINARY_ACK text part is held until its
/// attachments (the following binary messages) have arrived.
public struct SocketIOPacketDecoder: Sendable {
    /// Why a message was refused. The connection is closed on any of them, as the reference server does.
    public enum Error: Swift.Error, Sendable, Equatable {
        case emptyPacket
        case unknownType
        case illegalAttachments
        case tooManyAttachments
        case invalidNamespace
        case invalidID
        case invalidPayload
        case unexpectedBinary
        case expectedBinary
        /// The text part and binary attachments of one packet add up to more than `maxPacketSize` bytes.
        case packetTooLarge
    }

    /// The largest ack id: JavaScript's largest safe integer, as clients count with JS numbers.
    static let maxAckID = 9_007_199_254_740_991

    /// Most attachments one packet may announce.
    public var maxAttachments: Int
    /// Most bytes one packet may take, its text part and binary attachments together. Each message is
    /// already bounded by the transport; without this a packet could hold `maxAttachments + 1` of them.
    public var maxPacketSize: Int

    private var pending: SocketIOPacket?
    private var expected = 0
    private var attachments: [ByteBuffer] = []
    /// Bytes of the pending packet so far.
    private var pendingSize = 0

    public init(maxAttachments: Int = 10, maxPacketSize: Int = .max) {
        self.maxAttachments = maxAttachments
        self.maxPacketSize = maxPacketSize
    }

    /// Feeds a text message; returns the packet if it is complete (`nil` while attachments are awaited).
    public mutating func decode(text: String) throws(Error) -> SocketIOPacket? {
        guard pending == nil else { throw .expectedBinary }
        guard text.utf8.count <= maxPacketSize else { throw .packetTooLarge }
        var (packet, attachmentCount) = try Self.parse(Substring(text), maxAttachments: maxAttachments)
        if attachmentCount > 0 {
            pending = packet
            pendingSize = text.utf8.count
            expected = attachmentCount
            attachments = []
            attachments.reserveCapacity(attachmentCount)
            return nil
        }
        if attachmentCount == 0, packet.type == .binaryEvent || packet.type == .binaryAck {
            packet.type = packet.type == .binaryEvent ? .event : .ack
        }
        return packet
    }

    /// Feeds a binary message (an attachment); returns the packet once its last attachment arrived.
    public mutating func decode(binary: ByteBuffer) throws(Error) -> SocketIOPacket? {
        guard var packet = pending else { throw .unexpectedBinary }
        pendingSize += binary.readableBytes
        guard pendingSize <= maxPacketSize else {
            // The connection is closed on any error; free what was held at once all the same.
            pending = nil
            attachments = []
            throw .packetTooLarge
        }
        attachments.append(binary)
        guard attachments.count == expected else { return nil }
        pending = nil
        var failed = false
        packet.data = packet.data.map { Self.fill($0, attachments: attachments, failed: &failed) }
        attachments = []
        if failed { throw .invalidPayload }
        packet.type = packet.type == .binaryEvent ? .event : .ack
        return packet
    }

    private static func fill(_ value: JSONValue, attachments: [ByteBuffer], failed: inout Bool) -> JSONValue {
        switch value {
        case .array(let elements):
            return .array(elements.map { fill($0, attachments: attachments, failed: &failed) })
        case .object(let members):
            if members["_placeholder"] == .bool(true), let num = members["num"]?.intValue {
                guard attachments.indices.contains(num) else {
                    failed = true
                    return .null
                }
                return .binary(attachments[num])
            }
            return .object(members.mapValues { fill($0, attachments: attachments, failed: &failed) })
        default:
            return value
        }
    }

    /// Parses the text form `<type>[<attachments>-][<namespace>,][<id>][<json>]`.
    static func parse(_ text: Substring, maxAttachments: Int) throws(Error) -> (SocketIOPacket, Int) {
        let utf8 = text.utf8
        var index = utf8.startIndex
        guard index < utf8.endIndex else { throw .emptyPacket }
        let typeByte = utf8[index]
        guard typeByte >= UInt8(ascii: "0"), let type = SocketIOPacketType(rawValue: typeByte &- UInt8(ascii: "0")) else {
            throw .unknownType
        }
        index = utf8.index(after: index)

        var attachmentCount = 0
        if type == .binaryEvent || type == .binaryAck {
            let start = index
            var count = 0
            while index < utf8.endIndex, utf8[index] != UInt8(ascii: "-") {
                let byte = utf8[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .illegalAttachments }
                count = count * 10 + Int(byte - UInt8(ascii: "0"))
                guard count <= maxAttachments else { throw .tooManyAttachments }
                index = utf8.index(after: index)
            }
            guard index < utf8.endIndex, index > start else { throw .illegalAttachments }
            index = utf8.index(after: index)  // "-"
            attachmentCount = count
        }

        var namespace = "/"
        if index < utf8.endIndex, utf8[index] == UInt8(ascii: "/") {
            let start = index
            while index < utf8.endIndex, utf8[index] != UInt8(ascii: ",") { index = utf8.index(after: index) }
            namespace = String(text[start..<index])
            if index < utf8.endIndex { index = utf8.index(after: index) }  // ","
        }

        var id: Int?
        if index < utf8.endIndex, utf8[index] >= UInt8(ascii: "0"), utf8[index] <= UInt8(ascii: "9") {
            var value = 0
            while index < utf8.endIndex, utf8[index] >= UInt8(ascii: "0"), utf8[index] <= UInt8(ascii: "9") {
                let (product, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = product.addingReportingOverflow(Int(utf8[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2, sum <= Self.maxAckID else { throw .invalidID }
                value = sum
                index = utf8.index(after: index)
            }
            id = value
        }

        var data: JSONValue?
        if index < utf8.endIndex {
            do {
                data = try JSONParser.parse(text[index...])
            } catch {
                throw .invalidPayload
            }
        }
        guard isPayloadValid(type: type, data: data) else { throw .invalidPayload }
        if (type == .binaryEvent || type == .binaryAck) == false, attachmentCount != 0 { throw .illegalAttachments }
        return (SocketIOPacket(type: type, namespace: namespace, id: id, data: data), attachmentCount)
    }

    private static let reservedEvents: Set<String> = [
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    ]

    /// The payload rules of the reference parser.
    static func isPayloadValid(type: SocketIOPacketType, data: JSONValue?) -> Bool {
        switch type {
        case .connect:
            guard let data else { return true }
            if case .object = data { return true }
            return false
        case .disconnect:
            return data == nil
        case .connectError:
            switch data {
            case .string, .object: return true
            default: return false
            }
        case .event, .binaryEvent:
            guard case .array(let elements) = data, let first = elements.first else { return false }
            switch first {
            case .number: return true
            case .string(let name): return !reservedEvents.contains(name)
            default: return false
            }
        case .ack, .binaryAck:
            if case .array = data { return true }
            return false
        }
    }
}
