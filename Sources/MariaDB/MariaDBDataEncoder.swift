import Foundation

/// Turns SQLKit's bound values (`any Encodable`) into ``MariaDBData``.
///
/// Plain values map directly; dates become `DATETIME(6)` text in UTC; anything structured (an array, a nested
/// model) is stored as its JSON text, which MySQL's `JSON` columns accept.
enum MariaDBDataEncoder {
    static func encode(_ value: any Encodable) throws -> MariaDBData {
        switch value {
        case let string as String: return .text(string)
        case let bool as Bool: return .integer(bool ? 1 : 0)
        case let int as Int: return .integer(Int64(int))
        case let int as Int64: return .integer(int)
        case let int as Int32: return .integer(Int64(int))
        case let int as Int16: return .integer(Int64(int))
        case let int as Int8: return .integer(Int64(int))
        case let uint as UInt: return .unsignedInteger(UInt64(uint))
        case let uint as UInt64: return .unsignedInteger(uint)
        case let uint as UInt32: return .integer(Int64(uint))
        case let uint as UInt16: return .integer(Int64(uint))
        case let uint as UInt8: return .integer(Int64(uint))
        case let double as Double: return .double(double)
        case let float as Float: return .double(Double(float))
        case let decimal as Decimal: return .text(decimal.description)
        case let date as Date: return .text(MariaDBDateFormat.string(from: date))
        case let uuid as UUID: return .text(uuid.uuidString)
        case let data as Data: return .bytes(Array(data))
        case let bytes as [UInt8]: return .bytes(bytes)
        default: return try encodeViaJSON(value)
        }
    }

    /// Everything else goes through JSON: optionals (nil or a wrapped plain value), raw-value enums, wrappers, and
    /// structured values, which stay JSON text.
    private static func encodeViaJSON(_ value: any Encodable) throws -> MariaDBData {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(MariaDBDateFormat.string(from: date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(Wrapper(value: value))
        // The element between the brackets tells its own type by its first character.
        let inner = String(decoding: json.dropFirst().dropLast(), as: UTF8.self)
        switch inner.first {
        case nil, "n": return .null
        case "t": return .integer(1)
        case "f": return .integer(0)
        case "\"": return .text(try JSONDecoder().decode([String].self, from: json)[0])
        case "{", "[": return .text(inner)
        default:
            if let integer = Int64(inner) { return .integer(integer) }
            if let double = Double(inner) { return .double(double) }
            return .text(inner)
        }
    }

    /// Top-level fragments in an array so every Foundation version accepts them.
    private struct Wrapper: Encodable {
        let value: any Encodable
        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(value)
        }
    }
}
