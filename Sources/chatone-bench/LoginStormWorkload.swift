/// P5: P1 at a fixed rate, first quiet, then while C clients log in continuously; the message p99 under the storm
/// against the quiet one. 429s (the coming per-IP login limit) are counted, not treated as failures.
struct LoginStormWorkload: Sendable {
    var pairs: Int
    var rate: Int
    var seconds: Double
    var clients: Int
    var loginUsers: Int
    var drainSeconds: Double

    func run(_ target: BenchTarget) async throws -> Bool {
        Console.line("P5 login storm: \(pairs) pairs at \(rate) msg/s for \(fmt(seconds, 1)) s, quiet then with \(clients) clients logging in")
        let messaging = try await MessagingWorkload.setUp(target, pairs: pairs, tag: "s", drainSeconds: drainSeconds)
        let users = try await target.registerUsers(max(1, loginUsers), tag: "l")
        let quiet = await messaging.runStep(1, rate: rate, seconds: seconds)
        Console.line("  quiet:")
        Console.line(quiet.report)

        let statuses = LockedBox<[Int: Int]>([:])
        let loginLatencies = LockedBox<[UInt64]>([])
        let deadline = MonotonicClock.now() + UInt64((seconds + 0.02) * 1e9)
        let stormStart = MonotonicClock.now()
        let storm = await withTaskGroup(of: MessagingStepResult?.self) { group in
            group.addTask { await messaging.runStep(2, rate: rate, seconds: seconds) }
            for client in 0..<clients {
                group.addTask {
                    guard let api = try? await target.api() else {
                        statuses.withLock { $0[0, default: 0] += 1 }
                        return nil
                    }
                    var attempt = client
                    while MonotonicClock.now() < deadline {
                        let begin = MonotonicClock.now()
                        let status = (try? await api.login(users[attempt % users.count].username))?.status ?? 0
                        let elapsed = MonotonicClock.now() - begin
                        statuses.withLock { $0[status, default: 0] += 1 }
                        if status == 200 { loginLatencies.withLock { $0.append(elapsed) } }
                        attempt += 1
                    }
                    await api.http.close()
                    return nil
                }
            }
            var result: MessagingStepResult?
            for await value in group where value != nil { result = value }
            return result!
        }
        let stormSeconds = MonotonicClock.seconds(since: stormStart)
        Console.line("  storm:")
        Console.line(storm.report)
        let counted = statuses.value
        let logins = counted.values.reduce(0, +)
        let others = counted.filter { $0.key != 200 && $0.key != 429 }
        Console.line(
            "  logins: \(logins) attempts (\(fmt(Double(logins) / stormSeconds, 1))/s): "
                + "200 x\(counted[200] ?? 0), 429 x\(counted[429] ?? 0), other \(others)"
        )
        Console.line("  successful login latency \(LatencyStats(loginLatencies.value))")
        let ratio = quiet.ack.p99 > 0 ? storm.ack.p99 / quiet.ack.p99 : 0
        Console.line("  p99 ack under storm / quiet: \(fmt(storm.ack.p99)) / \(fmt(quiet.ack.p99)) ms = \(fmt(ratio))x (target <= 2x)")
        await messaging.close()
        let loginsWorked = (counted[200] ?? 0) + (counted[429] ?? 0) > 0 && counted.keys.allSatisfy { $0 == 200 || $0 == 429 }
        return quiet.clean && storm.clean && quiet.acked > 0 && storm.acked > 0 && loginsWorked
    }
}
