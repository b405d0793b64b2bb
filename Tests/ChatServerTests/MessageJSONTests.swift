import ChatCore
import Foundation
import NIOCore
import SocketIO
import Testing

@testable import ChatServer

/// A new message's JSON is written by hand (`APIMessage.json`) for speed; it must be, byte for byte, what the
/// `Codable` path (`APICoding.encoder()`, used by every REST response) makes of the same message.
@Suite struct MessageJSONTests {
    static let createdAt = Date(timeIntervalSince1970: 1_764_220_001.998)

    static let messages: [Message] = [
        Message(id: 1, conversationID: 2, seq: 3, senderID: 4, content: "hello", clientMessageID: "c-1", createdAt: createdAt),
        Message(
            id: 9_007_199_254_740_993, conversationID: 77, seq: 1_000_000, senderID: 5,
            content: "quote \" backslash \\ slash / tab\t newline\n nul\u{0} bell\u{7} esc\u{1B} unit\u{1F} é 漢字 👩‍👩‍👧 \u{2028}",
            clientMessageID: nil, replyToSeq: 999_999,
            reactions: [Reaction(emoji: "👍", userIDs: [4, 5, 6]), Reaction(emoji: "\"", userIDs: [])],
            createdAt: createdAt, editedAt: createdAt.addingTimeInterval(0.001)),
        Message(
            id: 2, conversationID: 2, seq: 4, senderID: 4, content: nil, clientMessageID: "retry/\u{1}", replyToSeq: 1,
            createdAt: Date(timeIntervalSince1970: 0), editedAt: createdAt, deletedAt: createdAt.addingTimeInterval(86_400 * 365)),
        Message(id: 3, conversationID: 2, seq: 5, senderID: 4, content: "", clientMessageID: "", createdAt: Date(timeIntervalSince1970: 951_782_400)),
    ]

    @Test("the hand-written message JSON is what JSONEncoder writes", arguments: messages)
    func sameBytesAsTheEncoder(message: Message) throws {
        let encoded = try APICoding.encoder().encode(APIMessage(message))
        #expect(String(buffer: APIMessage.json(message)) == String(decoding: encoded, as: UTF8.self))
    }

    @Test("times are written with the stored millisecond, in RFC 3339 UTC")
    func timestampsKeepTheStoredMillisecond() throws {
        let known: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_764_220_001_998, "2025-11-27T05:06:41.998Z"),  // ISO8601FormatStyle wrote .997 here
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        ]
        for (millis, text) in known {
            #expect(APITimestamp.string(Date(timeIntervalSince1970: Double(millis) / 1000)) == text, "\(millis)")
        }
        // Any stored time reads back as itself through Foundation's own RFC 3339 parser.
        let parser = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let millis = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            let text = APITimestamp.string(Date(timeIntervalSince1970: Double(millis) / 1000))
            let parsed = try parser.parse(text)
            #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == millis, "\(millis) → \(text)")
        }
    }
}

extension Message: CustomTestStringConvertible {
    public var testDescription: String { "message \(id)" }
}
