import ChatCore
import Foundation
import SocketIO
import Testing

@testable import ChatServer

/// Socket payloads are decoded from the parsed tree (`JSONValue.decode(as:)`) instead of through JSON text and
/// `JSONDecoder`. A client must not notice: for every payload type and every missing, null, mistyped or
/// out-of-range field, the decoded value, or the `VALIDATION_ERROR` (message and `field`), is the one the text
/// route gives.
@Suite("Socket payloads: decoding the tree answers as JSONDecoder did")
struct SocketPayloadDecodingTests {
    static let replacements: [JSONValue] = [
        .null, true, 0, 1, -1, 1.5, 1e15, 9_007_199_254_740_992, 9_223_372_036_854_775_807, 1e300, .number(.infinity), "", "x", "7",
        [], ["x"], [:], ["seq": 1], .binary(.init(bytes: [1, 2, 3])),
    ]

    /// The payload, the payload without each key, and with each key set to each replacement.
    static func variants(of base: JSONValue) -> [JSONValue] {
        guard case .object(let members) = base else { return [base] }
        var variants = [base, base.with("unknown", ["ignored": 1])]
        for key in members.keys.sorted() {
            variants.append(base.with(key, nil))
            variants += replacements.map { base.with(key, $0) }
        }
        return variants
    }

    /// The decoded value (as text) or the client's error, by `route`.
    static func outcome<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ route: (JSONValue) throws -> T) -> String {
        do {
            return String(reflecting: try route(value))
        } catch let error as DecodingError {
            let chatError = error.validationError
            return "\(chatError.code) \(chatError.publicMessage) \(chatError.details ?? [:])"
        } catch {
            return "unexpected \(error)"
        }
    }

    static func expectSameAnswers<T: Decodable>(_ type: T.Type, base: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        var validationErrors = 0
        for value in variants(of: base) {
            let direct = outcome(T.self, value) { try $0.decode(as: T.self) }
            let viaText = outcome(T.self, value) { try $0.decode(as: T.self, decoder: JSONDecoder()) }
            #expect(direct == viaText, "\(T.self) from \(value)", sourceLocation: sourceLocation)
            if direct.hasPrefix("VALIDATION_ERROR") { validationErrors += 1 }
        }
        // The variants exercise the errors, not only the happy path.
        #expect(validationErrors > variants(of: base).count / 2, sourceLocation: sourceLocation)
    }

    @Test("message:send") func send() {
        Self.expectSameAnswers(
            SocketPayload.Send.self, base: ["conversationId": "3", "toUserId": "4", "content": "hi", "clientMessageId": "c", "replyToSeq": 2])
    }

    @Test("message:edit") func edit() {
        Self.expectSameAnswers(SocketPayload.Edit.self, base: ["conversationId": "3", "seq": 2, "content": "hi"])
    }

    @Test("message:delete") func delete() {
        Self.expectSameAnswers(SocketPayload.Delete.self, base: ["conversationId": "3", "seq": 2])
    }

    @Test("message:read") func read() {
        Self.expectSameAnswers(SocketPayload.Read.self, base: ["conversationId": "3", "seq": 2])
    }

    @Test("typing") func typing() {
        Self.expectSameAnswers(SocketPayload.Typing.self, base: ["conversationId": "3", "isTyping": false])
    }

    @Test("auth:renew") func renew() {
        Self.expectSameAnswers(SocketPayload.Renew.self, base: ["token": "a.b.c"])
    }

    @Test("the envelope names the field: seq 1.5 is invalid, content 5 has the wrong type, a missing seq is required")
    func envelopes() throws {
        let cases: [(JSONValue, ChatError)] = [
            (["conversationId": "3", "seq": 1.5, "content": "x"], .validation("seq is invalid", field: "seq")),
            (["conversationId": "3", "seq": 1, "content": 5], .validation("content has the wrong type", field: "content")),
            (["conversationId": "3", "seq": nil, "content": "x"], .validation("seq is invalid", field: "seq")),
            (["conversationId": "3", "content": "x"], .validation("seq is required", field: "seq")),
            (["conversationId": nil, "seq": 1, "content": "x"], .validation("conversationId has the wrong type", field: "conversationId")),
        ]
        for (value, expected) in cases {
            let error = try #require(throws: DecodingError.self) { try value.decode(as: SocketPayload.Edit.self) }
            #expect(error.validationError == expected, "\(value)")
        }
    }
}

extension JSONValue {
    /// A copy of this object with `key` set to `value` (removed when `nil`).
    fileprivate func with(_ key: String, _ value: JSONValue?) -> JSONValue {
        var copy = self
        copy[key] = value
        return copy
    }
}
