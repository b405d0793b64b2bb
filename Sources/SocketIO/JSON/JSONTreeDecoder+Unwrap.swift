import Foundation
import NIOCore

/// The conversions from a tree value to a Swift value, shared by the decoder and its containers.
///
/// Each takes the value, the path of the container holding it and the key it was read under (`nil` for the value
/// of a single-value container), and reports errors with the path and kind `JSONDecoder` reports for the JSON text
/// of the tree (see ``JSONValueDecoder``).
extension JSONTreeDecoder {
    /// The value as `JSONDecoder` would see its text: a non-finite number is written as `null`, and pre-encoded
    /// bytes are parsed (they are trusted to be valid JSON; if they are not, they read as `null`).
    static func resolve(_ value: JSONValue) -> JSONValue {
        switch value {
        case .number(let number) where !number.isFinite: .null
        case .encoded(let json): json.value ?? .null
        default: value
        }
    }

    static func isNull(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .number(let number): !number.isFinite
        case .encoded: if case .null = resolve(value) { true } else { false }
        default: false
        }
    }

    /// Any `Decodable`: `Data`, `Date`, `URL` and `Decimal` get `JSONDecoder`'s default treatment, common leaves
    /// skip building a nested decoder, and every other type decodes itself from a decoder for the value.
    static func decode<T: Decodable>(
        _ type: T.Type, from value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> T {
        if T.self == String.self { return try string(value, at: path, key) as! T }
        if T.self == Int64.self { return try integer(value, at: path, key) as Int64 as! T }
        if T.self == Int.self { return try integer(value, at: path, key) as Int as! T }
        if T.self == Bool.self { return try bool(value, at: path, key) as! T }
        if T.self == Double.self { return try double(value, at: path, key) as! T }
        if T.self == Data.self { return try data(value, at: path, key) as! T }
        if T.self == Date.self {
            try requireNotNull(value, Date.self, at: path, key)
        } else if T.self == URL.self {
            return try url(value, at: path, key) as! T
        } else if T.self == Decimal.self {
            return try decimal(value, at: path, key) as! T
        }
        return try T(from: JSONTreeDecoder(value: value, path: path.appending(key), userInfoValues: userInfo))
    }

    static func bool(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> Bool {
        // A null is a type mismatch here, not a missing value: JSONDecoder's rule for Bool.
        guard case .bool(let bool) = resolve(value) else { throw mismatch(Bool.self, path.keys(appending: key), found: value) }
        return bool
    }

    static func string(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> String {
        // The common case first, without copying the value to resolve it.
        if case .string(let string) = value { return string }
        switch resolve(value) {
        case .string(let string): return string
        case .binary(let bytes): return Data(bytes.readableBytesView).base64EncodedString()
        case .null: throw missing(String.self, path.keys(appending: key))
        case let other: throw mismatch(String.self, path.keys(appending: key), found: other)
        }
    }

    static func integer<T: FixedWidthInteger>(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> T {
        if case .number(let number) = value, let integer = T(exactly: number) { return integer }
        switch resolve(value) {
        case .number(let number):
            guard let integer = T(exactly: number) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: path.keys(appending: key), debugDescription: "Parsed JSON number <\(number)> does not fit in \(T.self)."))
            }
            return integer
        case .null: throw missing(T.self, path.keys(appending: key))
        case let other: throw mismatch(T.self, path.keys(appending: key), found: other)
        }
    }

    static func double(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> Double {
        try number(value, as: Double.self, at: path, key)
    }

    static func float(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> Float {
        let number = try number(value, as: Float.self, at: path, key)
        let float = Float(number)
        // JSONDecoder refuses a number that overflows a Float or underflows to zero.
        guard float.isFinite, float != 0 || number == 0 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path.keys(appending: key), debugDescription: "Parsed JSON number <\(number)> does not fit in Float."))
        }
        return float
    }

    /// The number for a floating-point `type` (named in errors).
    private static func number(_ value: JSONValue, as type: Any.Type, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> Double {
        switch resolve(value) {
        // -0 is written as `0`, so JSONDecoder reads +0.
        case .number(let number): return number == 0 ? 0 : number
        case .null: throw missing(type, path.keys(appending: key))
        case let other: throw mismatch(type, path.keys(appending: key), found: other)
        }
    }

    /// A `.binary` blob's bytes as they are, or a base64 string's.
    static func data(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> Data {
        switch resolve(value) {
        case .binary(let bytes): return Data(bytes.readableBytesView)
        case .string(let string):
            guard let data = Data(base64Encoded: string) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path.keys(appending: key), debugDescription: "Encountered Data is not valid Base64."))
            }
            return data
        case .null: throw missing(Data.self, path.keys(appending: key))
        case let other: throw mismatch(String.self, path.keys(appending: key), found: other)
        }
    }

    static func url(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> URL {
        try requireNotNull(value, URL.self, at: path, key)
        guard let url = URL(string: try string(value, at: path, key)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path.keys(appending: key), debugDescription: "Invalid URL string."))
        }
        return url
    }

    /// A number as the decimal its JSON text spells, as JSONDecoder reads it from that text.
    static func decimal(_ value: JSONValue, at path: JSONCodingPath, _ key: (any CodingKey)?) throws -> Decimal {
        switch resolve(value) {
        case .number(let number):
            guard let decimal = Decimal(string: JSONValue.numberText(number)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path.keys(appending: key), debugDescription: "Number is not a valid Decimal."))
            }
            return decimal
        case .null: throw missing(Decimal.self, path.keys(appending: key))
        case let other: throw mismatch(Decimal.self, path.keys(appending: key), found: other)
        }
    }

    static func requireNotNull(_ value: JSONValue, _ type: Any.Type, at path: JSONCodingPath, _ key: (any CodingKey)?) throws {
        if isNull(value) { throw missing(type, path.keys(appending: key)) }
    }

    static func missing(_ type: Any.Type, _ codingPath: [any CodingKey]) -> DecodingError {
        .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Cannot get value of type \(type) -- found null value instead"))
    }

    static func mismatch(_ type: Any.Type, _ codingPath: [any CodingKey], found value: JSONValue) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected to decode \(type) but found \(kind(of: value)) instead."))
    }

    private static func kind(of value: JSONValue) -> String {
        switch resolve(value) {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string, .binary: "a string"
        case .array: "an array"
        case .object: "a dictionary"
        case .encoded: "a value"
        }
    }
}
