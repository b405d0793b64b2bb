/// P4: fan-out in a group (deliveries of `message:new` per second across connected members, closed-loop senders
/// with a window of sends in flight each), then the latency of title, add and remove in a large group.
struct GroupWorkload: Sendable {
    var groupSize: Int
    var connected: Int
    var senders: Int
    var window: Int
    var seconds: Double
    var bigGroupSize: Int
    var bigGroupConnected: Int
    var operations: Int
    var drainSeconds: Double

    func run(_ target: BenchTarget) async throws -> Bool {
        let connected = min(self.connected, groupSize)
        let senders = min(self.senders, connected)
        Console.line("P4 groups: \(groupSize)-member group, \(connected) connected, \(senders) senders x \(window) in flight, \(fmt(seconds, 1)) s")
        let users = try await target.registerUsers(max(groupSize, bigGroupSize), tag: "g")
        let api = try await target.api()
        let creator = users[0]
        let conversation = try await api.group(creator, title: "bench group", members: Array(users[1..<groupSize]))
        let receivers = (0..<connected).map { _ in GroupReceiver() }
        let sockets = await target.connectSockets(Array(users[..<connected]), onEvent: { index, packet in receivers[index].receive(packet) })
        guard sockets.count == connected else { throw BenchError.unexpected("only \(sockets.count) of \(connected) group sockets connected") }
        try await Task.sleep(for: .milliseconds(500))
        let baseline = receivers.map(\.count)

        let acked = AtomicCounter()
        let failed = AtomicCounter()
        let before = target.stats()
        let start = MonotonicClock.now()
        let deadline = start + UInt64(seconds * 1e9)
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                for _ in 0..<max(1, window) {
                    group.addTask {
                        while MonotonicClock.now() < deadline {
                            let json = #"{"conversationId":"\#(conversation)","content":"s0 t\#(MonotonicClock.now()) group"}"#
                            let ack = try? await sockets[sender].emitWithAck("message:send", json: json)
                            if ack?.contains("\"success\":true") == true { acked.add() } else { failed.add() }
                        }
                    }
                }
            }
        }
        let sendSeconds = MonotonicClock.seconds(since: start)
        let after = target.stats()
        let expected = acked.load * (connected - 1)
        let drainDeadline = MonotonicClock.now() + UInt64(drainSeconds * 1e9)
        func delivered() -> Int { zip(receivers, baseline).reduce(0) { $0 + $1.0.count - $1.1 } }
        while delivered() < expected, MonotonicClock.now() < drainDeadline { try await Task.sleep(for: .milliseconds(10)) }
        var latencies: [UInt64] = []
        var last = start
        for receiver in receivers {
            let harvest = receiver.harvest()
            latencies += harvest.latencies
            last = max(last, harvest.last)
        }
        let total = delivered()
        let span = max(Double(last - start) / 1e9, sendSeconds)
        Console.line("  \(acked.load) messages acked (\(fmt(Double(acked.load) / sendSeconds, 0))/s), \(failed.load) failed")
        Console.line("  \(total) of \(expected) deliveries, \(fmt(Double(total) / span, 0)) deliveries/s")
        Console.line("  delivery \(LatencyStats(latencies))")
        if let delta = ProcessDelta(from: before, to: after) {
            Console.line(
                "  server CPU \(fmt(delta.cpuPercent, 0))%, \(fmt(Double(delta.contextSwitches) / Double(max(total, 1)), 3)) context switches per delivery"
            )
        }
        var ok = failed.load == 0 && total == expected && expected > 0

        if bigGroupSize >= 2, operations > 0 {
            ok = try await groupChanges(target, api: api, users: Array(users[..<bigGroupSize]), already: connected) && ok
        }
        await closeAll(sockets)
        await api.http.close()
        return ok
    }

    /// Rename, remove and add back in a `bigGroupSize`-member group with `bigGroupConnected` members online.
    private func groupChanges(_ target: BenchTarget, api: ChatAPI, users: [BenchUser], already: Int) async throws -> Bool {
        let creator = users[0]
        let conversation = try await api.group(creator, title: "big group", members: Array(users[1...]))
        let online = max(already, min(bigGroupConnected, users.count))
        let extra = await target.connectSockets(Array(users[already..<online]))
        Console.line("  \(users.count)-member group, \(online) members connected, \(operations) rounds of rename / remove / add")
        try await Task.sleep(for: .milliseconds(500))
        var rename: [UInt64] = []
        var remove: [UInt64] = []
        var add: [UInt64] = []
        var bad = 0
        let member = users[users.count - 1]
        for round in 0..<operations {
            var begin = MonotonicClock.now()
            if try await api.rename(creator, conversation, title: "big group \(round)").status != 200 { bad += 1 }
            rename.append(MonotonicClock.now() - begin)
            begin = MonotonicClock.now()
            if try await api.remove(creator, conversation, member).status != 200 { bad += 1 }
            remove.append(MonotonicClock.now() - begin)
            begin = MonotonicClock.now()
            if try await api.add(creator, conversation, member).status != 200 { bad += 1 }
            add.append(MonotonicClock.now() - begin)
        }
        Console.line("    rename \(LatencyStats(rename))")
        Console.line("    remove \(LatencyStats(remove))")
        Console.line("    add    \(LatencyStats(add))" + (bad > 0 ? "; \(bad) requests failed" : ""))
        await closeAll(extra)
        return bad == 0
    }
}
