/// P3: history pages at random positions of one long conversation, and the conversation list of a user in many
/// conversations.
struct HistoryWorkload: Sendable {
    var messages: Int
    var window: Int
    /// Fill with one SQL insert into the spawned server's SQLite file (see `SQLHistoryFill`) instead of sending.
    var sqlFill: Bool
    var queries: Int
    var conversations: Int

    func run(_ target: BenchTarget) async throws -> Bool {
        Console.line("P3 history: \(messages) messages in one conversation, \(queries) page reads; list with \(conversations) conversations")
        let users = try await target.registerUsers(3, tag: "h")
        let (reader, partner, lister) = (users[0], users[1], users[2])
        let setup = try await target.api()
        let conversation = try await setup.direct(reader, with: partner)
        await setup.http.close()

        let fill: Double
        let failures = AtomicCounter()
        if sqlFill {
            guard let path = target.databasePath else { throw BenchError.unexpected("--history-sql-fill needs --spawn (a SQLite file)") }
            let start = MonotonicClock.now()
            try await SQLHistoryFill(databasePath: path).fill(conversation: conversation, sender: reader.id, messages: messages)
            fill = MonotonicClock.seconds(since: start)
            Console.line("  filled by SQL in \(fmt(fill, 1)) s")
        } else {
            // Fill over one socket with `window` sends in flight.
            guard let socket = await target.connectSockets([reader]).first else { throw BenchError.unexpected("socket did not connect") }
            let next = AtomicCounter()
            let start = MonotonicClock.now()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, window) {
                    group.addTask {
                        while true {
                            let number = next.add()
                            if number >= messages { return }
                            let ack = try? await socket.emitWithAck(
                                "message:send",
                                json: #"{"conversationId":"\#(conversation)","content":"history message \#(number)"}"#
                            )
                            if ack?.contains("\"success\":true") != true { failures.add() }
                        }
                    }
                }
            }
            await socket.close()
            fill = MonotonicClock.seconds(since: start)
            Console.line("  filled in \(fmt(fill, 1)) s (\(fmt(Double(messages) / fill, 0)) msg/s), \(failures.load) failed sends")
        }
        var ok = failures.load == 0
        // A fresh connection: the server closes one left idle during a long fill.
        let api = try await target.api()

        var samples: [UInt64] = []
        var bad = 0
        for _ in 0..<queries {
            let before = Int.random(in: 2...max(2, messages + 1))
            let begin = MonotonicClock.now()
            let response = try await api.history(reader, conversation, before: before)
            samples.append(MonotonicClock.now() - begin)
            if response.status != 200 || (before > 51 && JSONScan.int("seq", in: response.text.utf8[...]) != before - 50) { bad += 1 }
        }
        Console.line("  GET messages?before=random&limit=50: \(LatencyStats(samples))" + (bad > 0 ? ", \(bad) bad answers" : ""))
        ok = ok && bad == 0

        for index in 0..<conversations {
            let group = try await api.group(lister, title: "list \(index)", members: [partner])
            let posted = try await api.post(lister, group, content: "hello \(index)")
            if posted.status != 201 { bad += 1 }
        }
        samples = []
        for _ in 0..<queries {
            let begin = MonotonicClock.now()
            let response = try await api.conversations(lister)
            samples.append(MonotonicClock.now() - begin)
            if response.status != 200 { bad += 1 }
        }
        Console.line("  GET conversations?limit=50 (member of \(conversations)): \(LatencyStats(samples))" + (bad > 0 ? ", \(bad) bad answers" : ""))
        await api.http.close()
        return ok && bad == 0
    }
}
