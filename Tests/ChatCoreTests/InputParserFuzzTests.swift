import ChatCore
import Foundation
import Testing

/// Every parser of client input, fed seeded random and mutated input: it answers a value or a `ChatError`, and
/// never traps (a trap would end the test process).
@Suite("ChatCore: client input parsers under random input")
struct InputParserFuzzTests {
    /// A small deterministic generator, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let interesting: [String] = [
        "0", "-0", "1", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "99999999999999999999999", "9007199254740991", "9007199254740992", "1e308", "NaN", "inf", "0x10", "+1", " 1", "1 ", "",
        "253402300799999", "253402300800000", ":", "::", "a:b", "\u{0}", "é", "🙂",
    ]

    static func randomText(_ rng: inout SplitMix) -> String {
        switch rng.next() % 4 {
        case 0: return interesting.randomElement(using: &rng)!
        case 1: return "\(interesting.randomElement(using: &rng)!):\(interesting.randomElement(using: &rng)!)"
        case 2:
            let scalars = (0..<Int(rng.next() % 40)).compactMap { _ in Unicode.Scalar(UInt32(rng.next() % 0x3000)) }
            return String(String.UnicodeScalarView(scalars))
        default:
            return String(Int64(bitPattern: rng.next()))
        }
    }

    @Test("conversation cursors: crafted times near Int64.max and every other shape are VALIDATION_ERROR on cursor")
    func conversationCursors() throws {
        let nearMax = Base64URL.encode(Data("9223372036854775807:1".utf8))
        #expect(throws: ChatError.validation("invalid cursor", field: "cursor")) { try ConversationCursor(decoding: nearMax) }
        let beyondYear9999 = Base64URL.encode(Data("253402300800000:1".utf8))
        #expect(throws: ChatError.validation("invalid cursor", field: "cursor")) { try ConversationCursor(decoding: beyondYear9999) }
        let negative = Base64URL.encode(Data("-1:1".utf8))
        #expect(throws: ChatError.validation("invalid cursor", field: "cursor")) { try ConversationCursor(decoding: negative) }
        let good = ConversationCursor(updatedAtMillis: 1_764_000_000_000, id: 42)
        #expect(try ConversationCursor(decoding: good.encoded) == good)

        var rng = SplitMix(state: 10)
        for _ in 0..<20_000 {
            let raw = Self.randomText(&rng)
            for text in [raw, Base64URL.encode(Data(raw.utf8))] {
                do {
                    let cursor = try ConversationCursor(decoding: text)
                    #expect(ConversationCursor.millisRange.contains(cursor.updatedAtMillis) && cursor.id > 0)
                } catch let error as ChatError {
                    #expect(error == .validation("invalid cursor", field: "cursor"))
                }
            }
        }
    }

    @Test("ids: anything that is not a positive Int64 is NOT_FOUND, never a trap")
    func ids() {
        var rng = SplitMix(state: 11)
        for _ in 0..<20_000 {
            let text = Self.randomText(&rng)
            if let id = try? Validator.id(text, resource: "user") { #expect(id > 0) }
            _ = try? Validator.userIDList([text, text + "1"], field: "memberIds")
        }
        #expect(throws: ChatError.notFound("user not found")) { try Validator.id("9223372036854775808", resource: "user") }
    }

    @Test("seq, before and after: 0 through 2^53-1, anything else VALIDATION_ERROR naming the field")
    func seqBounds() throws {
        #expect(try Validator.seq(0, field: "seq") == 0)
        #expect(try Validator.seq(9_007_199_254_740_991, field: "seq") == 9_007_199_254_740_991)
        for bad: Int64 in [-1, .min, 9_007_199_254_740_992, .max] {
            #expect(throws: ChatError.self) { try Validator.seq(bad, field: "after") }
        }
    }

    @Test("passwords: U+0000 anywhere is refused (bcrypt would stop there), at login it can never match")
    func nulPasswords() {
        for bad in [String(repeating: "\u{0}", count: 8), "abc\u{0}defghij", "abcdefgh\u{0}"] {
            #expect(throws: ChatError.validation("password must not contain U+0000", field: "password")) { try Validator.password(bad) }
            #expect(!Validator.isUsablePassword(bad))
        }
        #expect(Validator.isUsablePassword("correct horse"))
    }
}
