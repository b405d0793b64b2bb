/// The members of an object in the tree, read by key for ``JSONValueDecoder``.
struct JSONTreeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let path: JSONCodingPath
    let userInfo: [CodingUserInfoKey: any Sendable]

    var codingPath: [any CodingKey] { path.keys }
    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func value(for key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { JSONTreeDecoder.isNull(try value(for: key)) }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try JSONTreeDecoder.bool(value(for: key), at: path, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try JSONTreeDecoder.string(value(for: key), at: path, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try JSONTreeDecoder.double(value(for: key), at: path, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try JSONTreeDecoder.float(value(for: key), at: path, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try JSONTreeDecoder.integer(value(for: key), at: path, key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try JSONTreeDecoder.decode(T.self, from: value(for: key), at: path, key, userInfo: userInfo)
    }

    // The optional fields of a payload: a missing key and a null are both `nil`, with one lookup.
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        switch members[key.stringValue] {
        case nil, .null?: return nil
        case .string(let string)?: return string
        case let value?: return JSONTreeDecoder.isNull(value) ? nil : try JSONTreeDecoder.string(value, at: path, key)
        }
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = members[key.stringValue], !JSONTreeDecoder.isNull(value) else { return nil }
        return try JSONTreeDecoder.decode(T.self, from: value, at: path, key, userInfo: userInfo)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(for: value(for: key), key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder(for: value(for: key), key).unkeyedContainer()
    }

    // As JSONDecoder: a missing key gives a decoder for `null`, not an error.
    func superDecoder() throws -> any Decoder {
        decoder(for: members[JSONCodingKey.superKey.stringValue] ?? .null, JSONCodingKey.superKey)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder(for: members[key.stringValue] ?? .null, key)
    }

    private func decoder(for value: JSONValue, _ key: any CodingKey) -> JSONTreeDecoder {
        JSONTreeDecoder(value: value, path: path.appending(key), userInfoValues: userInfo)
    }
}
