import Foundation
import NIOCore
import NIOFoundationCompat

extension JSONValue {
    /// Parses JSON text.
    ///
    /// - Throws: `SocketIOError.invalidJSON` when `text` is not one complete JSON document.
    public init(parsing text: String) throws {
        do {
            self = try JSONParser.parse(Substring(text))
        } catch {
            throw SocketIOError.invalidJSON
        }
    }

    /// Converts an `Encodable` value by encoding it with `JSONEncoder`.
    ///
    /// `Data` values become base64 strings (the encoder's default), not binary attachments;
    /// use `.binary` explicitly to send an attachment.
    public init(encoding value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws {
        let data = try encoder.encode(value)
        do {
            self = try data.withUnsafeBytes { bytes throws(JSONParser.Error) in try JSONParser.parse(bytes) }
        } catch {
            throw SocketIOError.invalidJSON
        }
    }

    /// Decodes the value into a `Decodable` type, reading the tree directly (``JSONValueDecoder``).
    ///
    /// The result and any `DecodingError` are those `JSONDecoder` gives for the value's JSON text; binary blobs
    /// decode into `Data` (or, as any other type, read as base64 strings).
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONValueDecoder().decode(T.self, from: self)
    }

    /// Decodes the value into a `Decodable` type with `decoder`, for a caller that needs its strategies (dates,
    /// keys, data): the value is written as JSON text and `decoder` parses it. Without such needs prefer
    /// ``decode(as:)``, which skips the text.
    ///
    /// Binary blobs are presented to the decoder as base64 strings, so they decode into `Data`.
    public func decode<T: Decodable>(as type: T.Type = T.self, decoder: JSONDecoder) throws -> T {
        var buffer = ByteBuffer()
        self.writeForDecoding(into: &buffer)
        return try decoder.decode(T.self, from: buffer)
    }

    private func writeForDecoding(into buffer: inout ByteBuffer) {
        guard self.containsBinary else {
            var attachments: [ByteBuffer] = []
            self.write(into: &buffer, attachments: &attachments)
            return
        }
        self.replacingBinaryWithBase64().writeForDecoding(into: &buffer)
    }

    private func replacingBinaryWithBase64() -> JSONValue {
        switch self {
        case .binary(let bytes): return .string(Data(bytes.readableBytesView).base64EncodedString())
        case .array(let elements): return .array(elements.map { $0.replacingBinaryWithBase64() })
        case .object(let members): return .object(members.mapValues { $0.replacingBinaryWithBase64() })
        default: return self
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let int = Int64(exactly: value) { try container.encode(int) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .binary(let value): try container.encode(Data(value.readableBytesView))
        case .encoded(let json): try container.encode(json.value ?? .null)
        }
    }
}
