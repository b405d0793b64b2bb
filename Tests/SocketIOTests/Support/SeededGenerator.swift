/// SplitMix64: a small deterministic generator so fuzz cases are reproducible from their seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random inputs shaped like protocol traffic: fragments of valid packets, mutated.
enum FuzzInput {
    static let fragments = [
        "0", "1", "2", "3", "4", "5", "6", "7", "9", "-", ",", "/", "/admin", "/custom,", "[", "]", "{", "}", "\"", ":",
        "\"message\"", "true", "false", "null", "1", "-0.5e3", "123456789012345678901234", "\\", "\\u12", "\\ud800",
        "{\"_placeholder\":true,\"num\":0}", "{\"_placeholder\":true,\"num\":9}", "\u{1e}", "b", "AQID", "==", " ", "\n",
        "é", "😀", "\u{0}", "probe", "42", "451-", "40/", "[\"a\",", "{\"k\":", "connect",
    ]

    static let seeds = [
        #"42["message",1,"2",{"3":[true]}]"#, #"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        #"40{"token":"123"}"#, #"40/custom,{"token":"abc"}"#, #"42456["message-with-ack",1,"2",{"3":[false]}]"#, "41",
        #"43/admin,7["ok"]"#, #"461-3[{"_placeholder":true,"num":0}]"#,
    ]

    static func string(_ rng: inout SeededGenerator) -> String {
        if Bool.random(using: &rng) {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) { text += fragments.randomElement(using: &rng)! }
            return text
        }
        return mutate(seeds.randomElement(using: &rng)!, &rng)
    }

    static func mutate(_ seed: String, _ rng: inout SeededGenerator) -> String {
        var bytes = Array(seed.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            case 1: bytes.insert(UInt8.random(in: 0...127, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            case 2 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 32...126, using: &rng)
            default: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func bytes(_ rng: inout SeededGenerator) -> [UInt8] {
        (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}
