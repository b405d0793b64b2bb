/// The elements of an array in the tree, read in order for ``JSONValueDecoder``.
struct JSONTreeUnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let path: JSONCodingPath
    let userInfo: [CodingUserInfoKey: any Sendable]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], path: JSONCodingPath, userInfo: [CodingUserInfoKey: any Sendable]) {
        self.elements = elements
        self.path = path
        self.userInfo = userInfo
    }

    var codingPath: [any CodingKey] { path.keys }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var indexKey: JSONCodingKey { JSONCodingKey(intValue: currentIndex) }

    /// The current element; past the end, `valueNotFound` for `type` at the next index, as JSONDecoder reports it.
    private func next(_ type: Any.Type) throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [indexKey], debugDescription: "Unkeyed container is at end."))
        }
        return elements[currentIndex]
    }

    /// Reads the current element with `read` and moves past it only if that succeeded.
    private mutating func take<T>(_ type: T.Type, _ read: (JSONValue, JSONCodingPath, JSONCodingKey) throws -> T) throws -> T {
        let result = try read(next(type), path, indexKey)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard JSONTreeDecoder.isNull(try next(Never.self)) else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try take(type) { try JSONTreeDecoder.bool($0, at: $1, $2) } }
    mutating func decode(_ type: String.Type) throws -> String { try take(type) { try JSONTreeDecoder.string($0, at: $1, $2) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try take(type) { try JSONTreeDecoder.double($0, at: $1, $2) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try take(type) { try JSONTreeDecoder.float($0, at: $1, $2) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try take(type) { try JSONTreeDecoder.integer($0, at: $1, $2) } }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let userInfo = userInfo
        return try take(type) { try JSONTreeDecoder.decode(T.self, from: $0, at: $1, $2, userInfo: userInfo) }
    }

    // As JSONDecoder: past the end these are `nil` rather than an error, and still move the index on; a null
    // element is `nil`. (The protocol's defaults would stay put at the end, and a later error would name another
    // index.)
    mutating func decodeIfPresent(_ type: Bool.Type) throws -> Bool? { try takeIfPresent { try JSONTreeDecoder.bool($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: String.Type) throws -> String? { try takeIfPresent { try JSONTreeDecoder.string($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Double.Type) throws -> Double? { try takeIfPresent { try JSONTreeDecoder.double($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Float.Type) throws -> Float? { try takeIfPresent { try JSONTreeDecoder.float($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Int.Type) throws -> Int? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Int8.Type) throws -> Int8? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Int16.Type) throws -> Int16? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Int32.Type) throws -> Int32? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: Int64.Type) throws -> Int64? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: UInt.Type) throws -> UInt? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: UInt8.Type) throws -> UInt8? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: UInt16.Type) throws -> UInt16? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: UInt32.Type) throws -> UInt32? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }
    mutating func decodeIfPresent(_ type: UInt64.Type) throws -> UInt64? { try takeIfPresent { try JSONTreeDecoder.integer($0, at: $1, $2) } }

    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? {
        let userInfo = userInfo
        return try takeIfPresent { try JSONTreeDecoder.decode(T.self, from: $0, at: $1, $2, userInfo: userInfo) }
    }

    private mutating func takeIfPresent<T>(_ read: (JSONValue, JSONCodingPath, JSONCodingKey) throws -> T) throws -> T? {
        guard !isAtEnd, !JSONTreeDecoder.isNull(elements[currentIndex]) else {
            currentIndex += 1
            return nil
        }
        let result = try read(elements[currentIndex], path, indexKey)
        currentIndex += 1
        return result
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let decoder = try elementDecoder(KeyedDecodingContainer<NestedKey>.self)
        let container = try decoder.container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let decoder = try elementDecoder((any UnkeyedDecodingContainer).self)
        let container = try decoder.unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = try elementDecoder((any Decoder).self)
        currentIndex += 1
        return decoder
    }

    /// A decoder for the current element, which must exist (else `valueNotFound` for `type`).
    private func elementDecoder(_ type: Any.Type) throws -> JSONTreeDecoder {
        JSONTreeDecoder(value: try next(type), path: path.appending(indexKey), userInfoValues: userInfo)
    }
}
