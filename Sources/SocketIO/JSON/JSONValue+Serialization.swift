public import NIOCore

extension JSONValue {
    /// The value as compact JSON text. Binary blobs are written as Socket.IO placeholders.
    public var jsonString: String {
        var buffer = ByteBuffer()
        var attachments: [ByteBuffer] = []
        self.write(into: &buffer, attachments: &attachments)
        return String(buffer: buffer)
    }

    /// A cheap guess of the JSON text's length, to size a buffer up front: exact for pre-encoded values, the
    /// usual case for large payloads; short values and objects count a little, since they are small or rare here.
    var encodedSizeHint: Int {
        switch self {
        case .encoded(let json): json.byteCount
        case .string(let value): value.utf8.count + 2
        case .array(let elements): elements.reduce(2) { $0 + $1.encodedSizeHint + 1 }
        case .object(let members): members.count * 16 + 2
        case .null, .bool, .number, .binary: 8
        }
    }

    /// Writes the value as compact JSON into `buffer`.
    ///
    /// Each `.binary` blob is replaced by `{"_placeholder":true,"num":N}` and appended to
    /// `attachments`, which is how Socket.IO encodes BINARY_EVENT and BINARY_ACK payloads.
    public func write(into buffer: inout ByteBuffer, attachments: inout [ByteBuffer]) {
        switch self {
        case .null:
            buffer.writeStaticString("null")
        case .bool(let value):
            if value { buffer.writeStaticString("true") } else { buffer.writeStaticString("false") }
        case .number(let value):
            Self.writeNumber(value, into: &buffer)
        case .string(let value):
            Self.writeString(value, into: &buffer)
        case .array(let elements):
            buffer.writeInteger(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.writeInteger(UInt8(ascii: ",")) }
                first = false
                element.write(into: &buffer, attachments: &attachments)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            var first = true
            // Sorted keys keep the output deterministic (tests, caches, cross-node comparison).
            for key in members.keys.sorted() {
                if !first { buffer.writeInteger(UInt8(ascii: ",")) }
                first = false
                Self.writeString(key, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ":"))
                members[key]!.write(into: &buffer, attachments: &attachments)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        case .encoded(let json):
            json.write(into: &buffer)
        case .binary(let bytes):
            buffer.writeStaticString("{\"_placeholder\":true,\"num\":")
            buffer.writeString(String(attachments.count))
            buffer.writeInteger(UInt8(ascii: "}"))
            attachments.append(bytes)
        }
    }

    /// Numbers follow JavaScript's `JSON.stringify`: integral values without a fraction, and
    /// non-finite values as `null`.
    static func writeNumber(_ value: Double, into buffer: inout ByteBuffer) {
        buffer.writeString(numberText(value))
    }

    /// The text ``writeNumber(_:into:)`` writes for `value`.
    static func numberText(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return String(value)
    }

    static func writeString(_ value: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        let utf8 = value.utf8
        // Fast path: most strings need no escaping and are copied in one go.
        let needsEscape = utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        if !needsEscape {
            buffer.writeString(value)
        } else {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0..<0x20:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(Self.hexDigit(byte >> 4))
                    buffer.writeInteger(Self.hexDigit(byte & 0x0F))
                default:
                    buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
