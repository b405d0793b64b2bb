import Foundation

/// The `Decoder` behind ``JSONValueDecoder``: one value of the tree and where it sits.
///
/// It is its own single-value container, as `JSONDecoder`'s is; keyed and unkeyed containers read the members or
/// elements of the value in place. The conversions every container shares are in `JSONTreeDecoder+Unwrap.swift`.
struct JSONTreeDecoder: Decoder {
    let value: JSONValue
    let path: JSONCodingPath
    let userInfoValues: [CodingUserInfoKey: any Sendable]

    var codingPath: [any CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { userInfoValues }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if case .object(let members) = value {
            return KeyedDecodingContainer(JSONTreeKeyedContainer<Key>(members: members, path: path, userInfo: userInfoValues))
        }
        switch Self.resolve(value) {
        case .object(let members):
            return KeyedDecodingContainer(JSONTreeKeyedContainer<Key>(members: members, path: path, userInfo: userInfoValues))
        case .null:
            throw DecodingError.valueNotFound(
                [String: Any].self, .init(codingPath: codingPath, debugDescription: "Cannot get keyed decoding container -- found null value instead"))
        case let other:
            throw Self.mismatch([String: Any].self, codingPath, found: other)
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch Self.resolve(value) {
        case .array(let elements):
            return JSONTreeUnkeyedContainer(elements: elements, path: path, userInfo: userInfoValues)
        case .null:
            throw DecodingError.valueNotFound(
                [Any].self, .init(codingPath: codingPath, debugDescription: "Cannot get unkeyed decoding container -- found null value instead"))
        case let other:
            throw Self.mismatch([Any].self, codingPath, found: other)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
}

extension JSONTreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { Self.isNull(value) }
    func decode(_ type: Bool.Type) throws -> Bool { try Self.bool(value, at: path, nil) }
    func decode(_ type: String.Type) throws -> String { try Self.string(value, at: path, nil) }
    func decode(_ type: Double.Type) throws -> Double { try Self.double(value, at: path, nil) }
    func decode(_ type: Float.Type) throws -> Float { try Self.float(value, at: path, nil) }
    func decode(_ type: Int.Type) throws -> Int { try Self.integer(value, at: path, nil) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Self.integer(value, at: path, nil) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Self.integer(value, at: path, nil) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Self.integer(value, at: path, nil) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Self.integer(value, at: path, nil) }
    func decode(_ type: Int128.Type) throws -> Int128 { try Self.integer(value, at: path, nil) }
    func decode(_ type: UInt.Type) throws -> UInt { try Self.integer(value, at: path, nil) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Self.integer(value, at: path, nil) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Self.integer(value, at: path, nil) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Self.integer(value, at: path, nil) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Self.integer(value, at: path, nil) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try Self.integer(value, at: path, nil) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Self.decode(T.self, from: value, at: path, nil, userInfo: userInfoValues)
    }
}
