public import Foundation

/// Decodes `Decodable` values straight from a parsed ``JSONValue`` tree.
///
/// It gives what `JSONDecoder` with its default options gives for the JSON text of the same tree, without writing
/// that text and parsing it again: the same values and the same `DecodingError` kinds and coding paths (missing
/// key, null for a non-optional, wrong type). The choices where a tree is not text:
/// - Numbers are `Double`s. An integer type takes a number that converts exactly (`Int64(exactly:)`); one that
///   does not (`1.5`, out of range, or non-finite) is `dataCorrupted` at the field's path, where `JSONDecoder`
///   reports it at the root. Above 2^53 the integer is the `Double`'s exact value.
/// - A non-finite number is treated as `null`, as it is written.
/// - `.binary` is a base64 string to every type except `Data`, which takes its bytes; a base64 string also decodes
///   into `Data`.
/// - `Date` follows `JSONDecoder`'s default: a number of seconds since 2001-01-01.
/// - `.encoded` values are parsed and decoded as the tree they hold.
///
/// ```swift
/// let payload = try JSONValueDecoder().decode(MyPayload.self, from: value)
/// ```
public struct JSONValueDecoder: Sendable {
    /// Handed to every `init(from:)` as `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    public init() {}

    /// Decodes `value` into a `T`.
    ///
    /// - Throws: `DecodingError` when the tree does not have `T`'s shape.
    public func decode<T: Decodable>(_ type: T.Type = T.self, from value: JSONValue) throws -> T {
        try JSONTreeDecoder.decode(T.self, from: value, at: .root, nil, userInfo: userInfo)
    }
}
