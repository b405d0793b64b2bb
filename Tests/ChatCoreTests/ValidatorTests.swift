import ChatCore
import Testing

@Suite("ChatCore: validation rules")
struct ValidatorTests {
    @Test("usernames: 3-32 of A-Z a-z 0-9 _ . -")
    func usernames() {
        for ok in ["abc", "A.b-c_9", String(repeating: "x", count: 32)] { #expect((try? Validator.username(ok)) == ok) }
        for bad in ["ab", "", "a b", "ünï", "abc!", String(repeating: "x", count: 33), "abc\n"] {
            #expect(throws: ChatError.self) { try Validator.username(bad) }
        }
    }

    @Test("passwords are measured in UTF-8 bytes: 8-72")
    func passwords() {
        #expect((try? Validator.password(String(repeating: "é", count: 36))) != nil)  // 72 bytes
        #expect(throws: ChatError.self) { try Validator.password(String(repeating: "é", count: 37)) }  // 74 bytes
        #expect(throws: ChatError.self) { try Validator.password("1234567") }
    }

    @Test("content is counted in code points and may not be only whitespace")
    func content() {
        #expect((try? Validator.content("é🙂")) == "é🙂")
        #expect((try? Validator.content(String(repeating: "🙂", count: 4000))) != nil)
        #expect(throws: ChatError.self) { try Validator.content(String(repeating: "🙂", count: 4001)) }
        #expect(throws: ChatError.self) { try Validator.content(" \n\u{3000}\t") }
        #expect(throws: ChatError.self) { try Validator.content("") }
    }

    @Test("display names are trimmed and default to the username")
    func displayNames() throws {
        #expect(try Validator.displayName("  Ann B  ", default: "ann") == "Ann B")
        #expect(try Validator.displayName(nil, default: "ann") == "ann")
        #expect(throws: ChatError.self) { try Validator.displayName("   ", default: "ann") }
    }

    @Test("limits default to 50 and must be 1-100; ids that cannot exist are not found")
    func limitsAndIDs() throws {
        #expect(try Validator.limit(nil) == 50)
        #expect(try Validator.limit(100) == 100)
        #expect(throws: ChatError.self) { try Validator.limit(0) }
        #expect(throws: ChatError.notFound("user not found")) { try Validator.id("abc", resource: "user") }
        #expect(throws: ChatError.notFound("user not found")) { try Validator.id("0", resource: "user") }
        #expect(try Validator.id("42", resource: "user") == 42)
    }
}
