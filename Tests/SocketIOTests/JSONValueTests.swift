import Foundation
import NIOCore
import Testing

@testable import SocketIO

@Suite("JSONValue")
struct JSONValueTests {
    @Test("round-trips documents through parse and serialize", arguments: [
        #"{"a":1,"b":[true,false,null],"c":"x"}"#,
        #"[1,-2,3.5,1e+20,"\u00e9",{}]"#,
        #""line\nbreak \"quoted\" back\\slash tab\t""#,
        #"[[[[[]]]]]"#,
        #"{"_placeholder":true,"num":0}"#,
    ])
    func roundTrip(_ text: String) throws {
        let value = try JSONValue(parsing: text)
        let again = try JSONValue(parsing: value.jsonString)
        #expect(again == value)
    }

    @Test("writes integers without a fraction and keys sorted")
    func serialization() throws {
        let value: JSONValue = ["b": 1, "a": [2.5, -3, "s"], "c": nil]
        #expect(value.jsonString == #"{"a":[2.5,-3,"s"],"b":1,"c":null}"#)
        #expect(JSONValue.number(.infinity).jsonString == "null")
        #expect(JSONValue.string("\u{01}").jsonString == #""\u0001""#)
    }

    @Test("decodes escapes and surrogate pairs")
    func escapes() throws {
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue(parsing: #""\u00e9\/""#) == .string("é/"))
        // A lone surrogate cannot live in a Swift string; it becomes U+FFFD.
        #expect(try JSONValue(parsing: #""\ud800x""#) == .string("\u{FFFD}x"))
    }

    @Test("rejects malformed documents", arguments: [
        "", "{", "[1,]", "{\"a\"}", "01", "1.", "-", "tru", "\"abc", "[1] x", "{\"a\":1,}", "\"\u{01}\"", "NaN", "+1",
        "\"\\x\"", "1e", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func rejects(_ text: String) {
        #expect(throws: SocketIOError.invalidJSON) { try JSONValue(parsing: text) }
    }

    @Test("converts Codable values both ways")
    func codable() throws {
        struct Payload: Codable, Equatable {
            let room: String
            let count: Int
            let tags: [String]
        }
        let payload = Payload(room: "r1", count: 3, tags: ["a"])
        let value = try JSONValue(encoding: payload)
        #expect(value["room"] == "r1")
        #expect(value["count"]?.intValue == 3)
        #expect(try value.decode(as: Payload.self) == payload)
    }

    @Test("binary values become placeholders and attachments")
    func binaryPlaceholders() {
        let value: JSONValue = ["x", .binary(ByteBuffer(bytes: [1, 2])), ["k": .binary(ByteBuffer(bytes: [3]))]]
        var buffer = ByteBuffer()
        var attachments: [ByteBuffer] = []
        value.write(into: &buffer, attachments: &attachments)
        #expect(String(buffer: buffer) == #"["x",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]"#)
        #expect(attachments == [ByteBuffer(bytes: [1, 2]), ByteBuffer(bytes: [3])])
        #expect(value.containsBinary)
    }
}
