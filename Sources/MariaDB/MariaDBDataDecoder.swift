import Foundation

/// Decodes one column's ``MariaDBData`` into the type a caller asks for.
///
/// Lenient where MySQL's types are: integers decode from `DECIMAL` text (what `SUM` returns), booleans from
/// `TINYINT(1)`, dates from `DATETIME` text, and structured types from JSON text.
struct MariaDBDataDecoder: Decoder {
    let data: MariaDBData
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from data: MariaDBData, column: String) throws -> T {
        try MariaDBDataDecoder(data: data).decodeValue(type, column: column)
    }

    func decodeValue<T: Decodable>(_ type: T.Type, column: String = "") throws -> T {
        if let special = try decodeSpecial(type) { return special }
        // A structured type stored as JSON text.
        if case .text(let text) = data, let first = text.first, first == "{" || first == "[" {
            if let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) { return value }
        }
        return try T(from: self)
    }

    /// Types whose own `init(from:)` would read the wrong representation.
    private func decodeSpecial<T>(_ type: T.Type) throws -> T? {
        if T.self == Date.self {
            switch data {
            case .text(let text):
                guard let date = MariaDBDateFormat.date(from: text) else { throw mismatch(type, "a DATETIME") }
                return (date as! T)
            case .integer, .unsignedInteger, .double:
                return (Date(timeIntervalSince1970: data.double ?? 0) as! T)
            default: throw mismatch(type, "a date")
            }
        }
        if T.self == UUID.self {
            if let text = data.string, let uuid = UUID(uuidString: text) { return (uuid as! T) }
            if let bytes = data.bytes, bytes.count == 16 {
                let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                       bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
                return (uuid as! T)
            }
            throw mismatch(type, "a UUID")
        }
        if T.self == Data.self {
            guard let bytes = data.bytes else { throw mismatch(type, "bytes") }
            return (Data(bytes) as! T)
        }
        if T.self == Decimal.self {
            guard let text = data.string, let decimal = Decimal(string: text) else { throw mismatch(type, "a decimal") }
            return (decimal as! T)
        }
        return nil
    }

    func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
        DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(data)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw mismatch([String: Any].self, "a keyed container (JSON object text)")
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw mismatch([Any].self, "an unkeyed container (JSON array text)")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(decoder: self) }

    struct SingleValue: SingleValueDecodingContainer {
        let decoder: MariaDBDataDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        var data: MariaDBData { decoder.data }

        func decodeNil() -> Bool { data.isNull }

        func decode(_ type: Bool.Type) throws -> Bool {
            if let number = data.int64 { return number != 0 }
            switch data.string?.lowercased() {
            case "true", "t", "yes", "y", "1": return true
            case "false", "f", "no", "n", "0": return false
            default: throw decoder.mismatch(type, "a boolean")
            }
        }

        func decode(_ type: String.Type) throws -> String {
            guard let text = data.string else { throw decoder.mismatch(type, "text") }
            return text
        }

        func decode(_ type: Double.Type) throws -> Double {
            guard let value = data.double else { throw decoder.mismatch(type, "a number") }
            return value
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
            if let signed = data.int64, let value = I(exactly: signed) { return value }
            if let unsigned = data.uint64, let value = I(exactly: unsigned) { return value }
            throw decoder.mismatch(type, "an integer that fits \(type)")
        }

        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
    }
}
