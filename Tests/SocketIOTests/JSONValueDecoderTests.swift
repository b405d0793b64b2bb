import Foundation
import NIOCore
import Testing

@testable import SocketIO

/// `JSONValue.decode(as:)` reads the tree directly (``JSONValueDecoder``). These tests decode the same trees both
/// ways, directly and with `JSONDecoder` over their JSON text (the path `decode(as:decoder:)` still takes, and the
/// only one there was before), and require the same values and the same errors: kind, type and coding path.
@Suite("JSONValueDecoder: the same values and errors as JSONDecoder")
struct JSONValueDecoderTests {
    // MARK: Shapes: the socket payloads' and every container feature.

    /// `message:send`'s shape, its integer read through ``Counted`` as the server reads it.
    struct Send: Codable, Equatable {
        var conversationId: String?
        var toUserId: String?
        var content: String
        var clientMessageId: String?
        var replyToSeq: Counted?
    }

    /// `message:edit`'s shape (`message:delete` and `message:read` are the same without `content`).
    struct Edit: Codable, Equatable {
        var conversationId: String
        var seq: Counted
        var content: String
    }

    struct Typing: Codable, Equatable {
        var conversationId: String
        var isTyping: Bool
    }

    struct Renew: Codable, Equatable {
        var token: String
    }

    /// An integer whose failure names its field, the way the server's `ClientInteger` does.
    struct Counted: Codable, Equatable {
        var value: Int64

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            do {
                value = try container.decode(Int64.self)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an integer in range"))
            }
        }
    }

    /// Every primitive a keyed container decodes, and the Foundation types JSONDecoder treats specially.
    struct Scalars: Codable, Equatable {
        var string: String
        var bool: Bool
        var double: Double
        var float: Float
        var int: Int
        var int8: Int8
        var int32: Int32
        var int64: Int64
        var uint: UInt
        var uint8: UInt8
        var uint64: UInt64
        var data: Data
        var date: Date
        var url: URL
        var decimal: Decimal
        var kind: Kind
    }

    enum Kind: String, Codable, Equatable {
        case direct, group
    }

    /// Nested objects and arrays, optionals at every level, a dictionary, and a nested raw value.
    struct Nested: Codable, Equatable {
        struct Inner: Codable, Equatable {
            var name: String
            var count: Int?
        }

        var inner: Inner
        var items: [Inner]
        var tags: [String]?
        var matrix: [[Int]]
        var optionalInner: Inner?
        var sparse: [Int?]
        var map: [String: Double]
        var value: JSONValue?
    }

    /// Hand-written containers: nested containers by key and by position, `superDecoder`, `decodeNil`, `allKeys`
    /// and the ends of an unkeyed container.
    struct Manual: Decodable, Equatable {
        enum Keys: String, CodingKey { case point, list, base, missing }
        enum PointKeys: String, CodingKey { case x, y }

        var x: Int
        var y: Double?
        var first: String
        var second: Bool?
        var third: Int?
        var nilAtThird: Bool
        var base: Nested.Inner
        var superName: String?
        var missingSuperIsNil: Bool
        var pointKeys: [String]
        var remaining: Int?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let point = try container.nestedContainer(keyedBy: PointKeys.self, forKey: .point)
            x = try point.decode(Int.self, forKey: .x)
            y = try point.decodeNil(forKey: .y) ? nil : try point.decode(Double.self, forKey: .y)
            pointKeys = point.allKeys.map(\.stringValue).sorted()
            var list = try container.nestedUnkeyedContainer(forKey: .list)
            first = try list.decode(String.self)
            second = try list.decodeIfPresent(Bool.self)
            nilAtThird = try list.decodeNil()
            third = try list.decodeIfPresent(Int.self)
            var nested = try list.nestedUnkeyedContainer()
            remaining = nested.count.map { $0 - nested.currentIndex }
            _ = try nested.decode(Int.self)
            base = try Nested.Inner(from: container.superDecoder(forKey: .base))
            superName = try container.superDecoder().container(keyedBy: PointKeys.self).allKeys.first?.stringValue
            missingSuperIsNil = try container.superDecoder(forKey: .missing).singleValueContainer().decodeNil()
        }
    }

    // MARK: Inputs: a valid tree per shape, and every one-field change of it.

    /// Values that each break some type somewhere: null, wrong kinds, integers at every range edge, fractions,
    /// non-finite numbers, base64 and binary.
    static let replacements: [JSONValue] = [
        .null, true, false, 0, 1, -1, 1.5, -0.0, 127, 128, 255, 256, -129, 2_147_483_648, 4_294_967_296, 1e15, 123_456_789_012_345,
        9_007_199_254_740_992, -9_007_199_254_740_992, 1e300, -1e300, 1e-300, .number(.infinity), .number(.nan), "", "x", "1", "true",
        "aGVsbG8=", "not base64!", "https://example.com/a", "direct", "channel", [], [1], ["x"], [nil], [:], ["name": "n"],
        .binary(ByteBuffer(bytes: [0, 1, 2, 255])), .encoded(EncodedJSON(trusting: ByteBuffer(string: #"{"name":"e","count":2}"#))),
    ]

    static let sendBase: JSONValue = ["conversationId": "12", "content": "hello", "clientMessageId": "c-1", "replyToSeq": 3]
    static let editBase: JSONValue = ["conversationId": "12", "seq": 4, "content": "edited"]
    static let typingBase: JSONValue = ["conversationId": "12", "isTyping": true]
    static let renewBase: JSONValue = ["token": "abc.def"]
    static let scalarsBase: JSONValue = [
        "string": "s", "bool": true, "double": 2.5, "float": 0.25, "int": -7, "int8": -8, "int32": 32, "int64": 64, "uint": 1,
        "uint8": 8, "uint64": 640, "data": "AAEC", "date": 786_000_000.5, "url": "https://example.com/x?y=1", "decimal": 12.75,
        "kind": "group",
    ]
    static let nestedBase: JSONValue = [
        "inner": ["name": "a", "count": 1], "items": [["name": "b"], ["name": "c", "count": nil]], "tags": ["t"],
        "matrix": [[1, 2], [], [3]], "sparse": [1, nil, 3], "map": ["k": 1.5, "l": -2], "value": ["any": [1, "two", nil]],
    ]
    static let manualBase: JSONValue = [
        "point": ["x": 1, "y": nil, "z": 3], "list": ["first", true, nil, [9]], "base": ["name": "b", "count": 2],
        "super": ["x": 0],
    ]

    /// The base, the base with each key removed, and the base with each key set to each replacement; and each
    /// replacement on its own, as the whole value.
    static func variants(of base: JSONValue) -> [JSONValue] {
        guard case .object(let members) = base else { return [base] }
        var variants: [JSONValue] = [base]
        for key in members.keys.sorted() {
            var removed = base
            removed[key] = nil
            variants.append(removed)
            for replacement in replacements {
                var changed = base
                changed[key] = replacement
                variants.append(changed)
            }
        }
        var extra = base
        extra["unknownKey"] = ["ignored": true]
        variants.append(extra)
        return variants + replacements
    }

    // MARK: Comparison

    /// Decodes `value` both ways; records any difference in value or error.
    func expectSameDecoding<T: Decodable & Equatable>(_ type: T.Type, _ value: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        let direct = Result { try value.decode(as: T.self) }
        let viaText = Result { try value.decode(as: T.self, decoder: JSONDecoder()) }
        switch (direct, viaText) {
        case (.success(let direct), .success(let viaText)):
            #expect(direct == viaText, "\(T.self) from \(value)", sourceLocation: sourceLocation)
        case (.failure(let direct), .failure(let viaText)):
            // The one intended difference: a number an integer or Float cannot hold. JSONDecoder reports it at the
            // root (so the client could not be told which field); the tree decoder at the field.
            if Self.isRootNumberError(viaText) {
                #expect(Self.kind(direct) == "dataCorrupted", "\(T.self) from \(value): \(direct)", sourceLocation: sourceLocation)
            } else {
                #expect(Self.describe(direct) == Self.describe(viaText), "\(T.self) from \(value)", sourceLocation: sourceLocation)
            }
        case (.success(let direct), .failure(let viaText)):
            Issue.record("\(T.self) from \(value): decoded \(direct) directly, JSONDecoder threw \(Self.describe(viaText))", sourceLocation: sourceLocation)
        case (.failure(let direct), .success(let viaText)):
            Issue.record("\(T.self) from \(value): JSONDecoder decoded \(viaText), directly threw \(Self.describe(direct))", sourceLocation: sourceLocation)
        }
    }

    /// The kind, type and coding path of a `DecodingError`, as comparable text.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not a DecodingError: \(error)" }
        switch error {
        case .typeMismatch(let type, let context): return "typeMismatch(\(type)) at \(path(context.codingPath))"
        case .valueNotFound(let type, let context): return "valueNotFound(\(type)) at \(path(context.codingPath))"
        case .keyNotFound(let key, let context): return "keyNotFound(\(key.stringValue)) at \(path(context.codingPath))"
        case .dataCorrupted(let context): return "dataCorrupted at \(path(context.codingPath))"
        @unknown default: return "unknown \(error)"
        }
    }

    static func kind(_ error: any Error) -> String {
        String(describe(error).prefix { $0.isLetter })
    }

    static func path(_ keys: [any CodingKey]) -> String {
        "/" + keys.map { key in key.intValue.map { "\(key.stringValue)#\($0)" } ?? key.stringValue }.joined(separator: "/")
    }

    /// JSONDecoder's error for a number it parsed but cannot represent: `dataCorrupted` at the root.
    static func isRootNumberError(_ error: any Error) -> Bool {
        guard case .dataCorrupted(let context)? = error as? DecodingError else { return false }
        return context.codingPath.isEmpty && context.debugDescription == "The given data was not valid JSON."
    }

    // MARK: Tests

    @Test("socket payload shapes: every missing, null, mistyped and out-of-range field", arguments: ["send", "edit", "typing", "renew"])
    func payloadShapes(_ shape: String) {
        switch shape {
        case "send": for value in Self.variants(of: Self.sendBase) { expectSameDecoding(Send.self, value) }
        case "edit": for value in Self.variants(of: Self.editBase) { expectSameDecoding(Edit.self, value) }
        case "typing": for value in Self.variants(of: Self.typingBase) { expectSameDecoding(Typing.self, value) }
        default: for value in Self.variants(of: Self.renewBase) { expectSameDecoding(Renew.self, value) }
        }
    }

    @Test("every primitive and Foundation type: Data, Date, URL, Decimal, raw-value enums")
    func scalars() {
        for value in Self.variants(of: Self.scalarsBase) { expectSameDecoding(Scalars.self, value) }
    }

    @Test("nested objects, arrays, optionals, dictionaries and JSONValue members")
    func nested() {
        for value in Self.variants(of: Self.nestedBase) { expectSameDecoding(Nested.self, value) }
        // Changes one level down: in an element of an array, and in an object inside an object.
        for value in Self.variants(of: ["name": "b", "count": 1]) {
            var inArray = Self.nestedBase
            inArray["items"] = [["name": "ok"], value]
            expectSameDecoding(Nested.self, inArray)
            var inObject = Self.nestedBase
            inObject["inner"] = value
            expectSameDecoding(Nested.self, inObject)
        }
        for element in Self.replacements {
            var inMatrix = Self.nestedBase
            inMatrix["matrix"] = [[1], [2, element]]
            expectSameDecoding(Nested.self, inMatrix)
            var inSparse = Self.nestedBase
            inSparse["sparse"] = [element, 2]
            expectSameDecoding(Nested.self, inSparse)
        }
    }

    @Test("hand-written containers: nested by key and position, superDecoder, decodeNil, the ends of an array")
    func manualContainers() {
        for value in Self.variants(of: Self.manualBase) { expectSameDecoding(Manual.self, value) }
        for list in [[], ["first"], ["first", true], ["first", nil, nil], ["first", true, nil, 5], ["first", true, nil, 5, []]] as [JSONValue] {
            var value = Self.manualBase
            value["list"] = list
            expectSameDecoding(Manual.self, value)
        }
        for point in Self.variants(of: ["x": 1, "y": 2]) {
            var value = Self.manualBase
            value["point"] = point
            expectSameDecoding(Manual.self, value)
        }
    }

    @Test("top-level values of every kind into every kind of type")
    func topLevel() {
        for value in Self.replacements {
            expectSameDecoding(String.self, value)
            expectSameDecoding(Int.self, value)
            expectSameDecoding(UInt8.self, value)
            expectSameDecoding(Bool.self, value)
            expectSameDecoding(Double.self, value)
            expectSameDecoding(Float.self, value)
            expectSameDecoding(Data.self, value)
            expectSameDecoding(Date.self, value)
            expectSameDecoding([Int].self, value)
            expectSameDecoding([String: String].self, value)
            expectSameDecoding(String?.self, value)
            expectSameDecoding(JSONValue.self, value)
            expectSameDecoding(Nested.Inner.self, value)
        }
    }

    @Test("random trees decode the same as JSONValue, as dictionaries and as the payload shapes", arguments: [11, 12, 13] as [UInt64])
    func randomTrees(_ seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 3, using: &random)
            expectSameDecoding(JSONValue.self, value)
            expectSameDecoding([String: JSONValue].self, value)
            expectSameDecoding(Send.self, value)
            expectSameDecoding(Nested.self, value)
        }
    }

    static func randomValue(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        let keys = ["content", "conversationId", "replyToSeq", "inner", "items", "name", "count", "matrix", "map", "x"]
        switch Int.random(in: 0..<(depth > 0 ? 8 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .number(Double(Int.random(in: -300...300, using: &random)))
        case 3: return .number(Double.random(in: -1e6...1e6, using: &random))
        case 4: return .string(String(Int.random(in: 0...99, using: &random)))
        case 5: return replacements.randomElement(using: &random)!
        case 6: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in randomValue(depth: depth - 1, using: &random) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                members[keys.randomElement(using: &random)!] = randomValue(depth: depth - 1, using: &random)
            }
            return .object(members)
        }
    }

    // MARK: Where the tree decides

    @Test("a number an integer cannot hold is dataCorrupted at its field, not at the root")
    func unrepresentableIntegerNamesItsField() throws {
        struct Counter: Decodable { var n: Int32 }
        for number in [1.5, 2_147_483_648, -1e300, 1e-300] as [Double] {
            let error = try #require(throws: DecodingError.self) { try (["n": .number(number)] as JSONValue).decode(as: Counter.self) }
            #expect(Self.describe(error) == "dataCorrupted at /n", "\(number)")
        }
    }

    @Test("integers convert exactly from the Double, also beyond 2^53")
    func largeIntegersAreExact() throws {
        let twoTo60 = Double(1 << 60)
        #expect(try JSONValue.number(twoTo60).decode(as: Int64.self) == 1 << 60)
        #expect(try JSONValue.number(-twoTo60).decode(as: Int64.self) == -(1 << 60))
        #expect(throws: DecodingError.self) { try JSONValue.number(9.3e18).decode(as: Int64.self) }
        #expect(try JSONValue.number(9.3e18).decode(as: UInt64.self) == 9_300_000_000_000_000_000)
    }

    @Test("a binary blob decodes into Data as its bytes, and reads as base64 elsewhere")
    func binary() throws {
        struct Upload: Decodable, Equatable {
            var name: String
            var bytes: Data
            var copies: [Data]
        }
        let blob = ByteBuffer(bytes: [0, 1, 2, 250, 255])
        let value: JSONValue = ["name": .binary(blob), "bytes": .binary(blob), "copies": [.binary(blob), "AAEC"]]
        let upload = try value.decode(as: Upload.self)
        #expect(upload == Upload(name: "AAEC+v8=", bytes: Data([0, 1, 2, 250, 255]), copies: [Data([0, 1, 2, 250, 255]), Data([0, 1, 2])]))
        #expect(try value.decode(as: Upload.self, decoder: JSONDecoder()) == upload)
    }

    @Test("a Date is JSONDecoder's default: seconds since 2001-01-01")
    func date() throws {
        #expect(try JSONValue.number(1.5).decode(as: Date.self) == Date(timeIntervalSinceReferenceDate: 1.5))
        #expect(throws: DecodingError.self) { try JSONValue.string("2026-11-27T00:00:00Z").decode(as: Date.self) }
    }

    @Test("userInfo reaches init(from:)")
    func userInfo() throws {
        struct Reader: Decodable {
            static let key = CodingUserInfoKey(rawValue: "tenant")!
            var tenant: String?
            init(from decoder: any Decoder) throws { tenant = decoder.userInfo[Self.key] as? String }
        }
        var decoder = JSONValueDecoder()
        decoder.userInfo[Reader.key] = "t1"
        #expect(try decoder.decode(Reader.self, from: [:]).tenant == "t1")
    }
}
