/// P2: K authenticated idle sockets spread over K / socketsPerUser users; server RSS per socket, handshakes per
/// second, then everything closed again, for several rounds, with the RSS after each.
struct IdleSocketsWorkload: Sendable {
    var sockets: Int
    var socketsPerUser: Int
    var rounds: Int
    var parallel: Int
    /// Pause before each RSS reading, so the server's allocator and close handling settle.
    var settleSeconds: Double

    func run(_ target: BenchTarget) async throws -> Bool {
        let userCount = max(1, (sockets + socketsPerUser - 1) / socketsPerUser)
        Console.line("P2 idle sockets: \(sockets) sockets over \(userCount) users, \(rounds) rounds, \(parallel) handshakes in flight")
        let users = try await target.registerUsers(userCount, tag: "i")
        let owners = (0..<sockets).map { users[$0 % users.count] }
        try await Task.sleep(for: .seconds(settleSeconds))
        let baseline = target.stats()
        if let baseline { Console.line("  server RSS before: \(baseline.mib)") } else { Console.line("  (no --server-pid: no server RSS)") }
        var ok = true
        var firstClosed: ProcessStats?
        for round in 1...rounds {
            let before = target.stats()
            let start = MonotonicClock.now()
            let open = await target.connectSockets(owners, parallel: parallel)
            let elapsed = MonotonicClock.seconds(since: start)
            let handshaking = ProcessDelta(from: before, to: target.stats())
            try await Task.sleep(for: .seconds(settleSeconds))
            let connected = target.stats()
            var line =
                "  round \(round): \(open.count)/\(sockets) connected in \(fmt(elapsed)) s, \(fmt(Double(open.count) / elapsed, 0)) handshakes/s"
            if let before, let connected {
                let perSocket = Double(connected.residentBytes - before.residentBytes) / Double(max(open.count, 1)) / 1024
                line += ", RSS \(before.mib) -> \(connected.mib) (\(fmt(perSocket, 1)) KiB/socket), \(connected.openFiles) server fds"
            }
            if let handshaking { line += ", server CPU \(fmt(handshaking.cpuPercent, 0))% while connecting" }
            Console.line(line)
            if open.count != sockets { ok = false }
            let closeStart = MonotonicClock.now()
            await closeAll(open)
            let closeSeconds = MonotonicClock.seconds(since: closeStart)
            try await Task.sleep(for: .seconds(settleSeconds * 1.5))
            let closed = target.stats()
            if firstClosed == nil { firstClosed = closed }
            Console.line("    closed in \(fmt(closeSeconds)) s; RSS after close \(closed?.mib ?? "-"), \(closed?.openFiles ?? 0) server fds")
        }
        if let baseline, let firstClosed, let last = target.stats() {
            let versusFirst = (Double(last.residentBytes) / Double(firstClosed.residentBytes) - 1) * 100
            let versusBaseline = (Double(last.residentBytes) / Double(baseline.residentBytes) - 1) * 100
            Console.line("  RSS after the last round: \(fmt(versusFirst, 1))% vs after round 1, \(fmt(versusBaseline, 1))% vs before round 1")
        }
        return ok
    }
}
