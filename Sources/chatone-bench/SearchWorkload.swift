/// P6: full-text search over many messages (1,000,000 is the target scale).
///
/// Ten users; the searcher has direct conversations with five of them, the other five talk among themselves, so
/// half of the messages are the searcher's and half are not (the query must filter them out). Each message is
/// eight words drawn from a 4,096-word vocabulary with a log-uniform skew, so the commonest word is in most
/// messages and the rarest in about one in 7,000. Timed: one common word, one rare word, two words, and a three-letter prefix.
struct SearchWorkload: Sendable {
    var messages: Int
    var window: Int
    var queries: Int

    static let vocabularySize = 4_096

    /// A pronounceable made-up word for each index: distinct, 5-9 letters.
    static func word(_ index: Int) -> String {
        let consonants = Array("bcdfghklmnprstvz")
        let vowels = Array("aeiou")
        var n = index
        var letters: [Character] = []
        repeat {
            letters.append(consonants[n % consonants.count])
            n /= consonants.count
            letters.append(vowels[n % vowels.count])
            n /= vowels.count
        } while n > 0
        letters.append(contentsOf: "ly")
        return String(letters)
    }

    /// A word index skewed towards the small ones: a bit length from 0 to 12, then a number of that many bits.
    static func skewedIndex(_ rng: inout SplitMix) -> Int {
        let bits = Int(rng.next() % 13)
        return Int(rng.next() % UInt64(1 << bits))
    }

    func run(_ target: BenchTarget) async throws -> Bool {
        Console.line("P6 search: \(messages) messages (half in the searcher's conversations), \(queries) searches of each kind")
        let users = try await target.registerUsers(10, tag: "s")
        let searcher = users[0]
        let setup = try await target.api()
        var conversations: [(sender: BenchUser, id: String)] = []
        for index in 1...5 { conversations.append((users[index], try await setup.direct(users[index], with: searcher))) }
        for index in 6...9 { conversations.append((users[index], try await setup.direct(users[index], with: users[index == 9 ? 6 : index + 1]))) }
        conversations.append((users[5], try await setup.direct(users[5], with: users[6])))
        await setup.http.close()

        let sockets = await target.connectSockets(conversations.map(\.sender))
        guard sockets.count == conversations.count else { throw BenchError.unexpected("sockets did not connect") }
        let next = AtomicCounter()
        let failures = AtomicCounter()
        let start = MonotonicClock.now()
        let total = messages
        await withTaskGroup(of: Void.self) { group in
            for (index, socket) in sockets.enumerated() {
                let conversation = conversations[index].id
                for lane in 0..<max(1, window / sockets.count) {
                    group.addTask {
                        var rng = SplitMix(seed: UInt64(index * 1_000 + lane))
                        while true {
                            let number = next.add()
                            if number >= total { return }
                            let words = (0..<8).map { _ in Self.word(Self.skewedIndex(&rng)) }.joined(separator: " ")
                            let ack = try? await socket.emitWithAck("message:send", json: #"{"conversationId":"\#(conversation)","content":"\#(words)"}"#)
                            if ack?.contains("\"success\":true") != true { failures.add() }
                        }
                    }
                }
            }
        }
        await closeAll(sockets)
        let fill = MonotonicClock.seconds(since: start)
        Console.line("  filled in \(fmt(fill, 1)) s (\(fmt(Double(messages) / fill, 0)) msg/s), \(failures.load) failed sends")
        var ok = failures.load == 0

        let api = try await target.api()
        var rng = SplitMix(seed: 42)
        let kinds: [(String, (inout SplitMix) -> String)] = [
            ("common word", { _ in Self.word(0) }),
            ("rare word", { rng in Self.word(Self.vocabularySize - 1 - Int(rng.next() % 96)) }),
            ("two words", { rng in "\(Self.word(Self.skewedIndex(&rng)))%20\(Self.word(Self.skewedIndex(&rng)))" }),
            ("3-letter prefix", { rng in String(Self.word(Self.skewedIndex(&rng)).prefix(3)) }),
        ]
        for (label, query) in kinds {
            var samples: [UInt64] = []
            var bad = 0
            for _ in 0..<queries {
                let q = query(&rng)
                let begin = MonotonicClock.now()
                let response = try await api.searchMessages(searcher, q: q)
                samples.append(MonotonicClock.now() - begin)
                if response.status != 200 { bad += 1 }
            }
            Console.line("  GET search/messages?q=<\(label)>&limit=50: \(LatencyStats(samples))" + (bad > 0 ? ", \(bad) bad answers" : ""))
            ok = ok && bad == 0
        }
        await api.http.close()
        return ok
    }
}

/// A small deterministic generator, so two runs send the same text.
struct SplitMix: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
