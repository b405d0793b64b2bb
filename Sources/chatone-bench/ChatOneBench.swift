import ArgumentParser
import Foundation
import NIOPosix

/// `chatone-bench`: ChatOne's own load generator (P1–P5 of docs/performance.md). It prints numbers; only `--smoke`
/// is a check, failing when messages are lost, unacknowledged, duplicated or reordered, or a request fails.
@main
struct ChatOneBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatone-bench",
        abstract: "Load generator for ChatOne: messaging (p1), idle sockets (p2), history (p3), groups (p4), login storm (p5)."
    )

    @Option(help: "Workloads, comma-separated: p1,p2,p3,p4,p5,p6 or all.") var workload = "p1"
    @Flag(help: "Every workload at tiny sizes; exits non-zero if anything fails.") var smoke = false

    @Option(help: "Server address when not spawning.") var host = "127.0.0.1"
    @Option(help: "Server port when not spawning.") var port = 3000
    @Option(help: "Server pid, for CPU, RSS and context switches from /proc.") var serverPid: Int32?
    @Option(help: "Start this chatone binary for each workload on a fresh SQLite file (in a temporary directory).") var spawn: String?
    @Flag(help: "With two or more cores: the spawned server on core 0, this process on core 1.") var pin = false
    @Option(help: "With --spawn: the database URL the server uses (say mysql://…) instead of a fresh SQLite file. The database must be empty; one per run.")
    var spawnDatabaseURL: String?
    @Option(help: "CHATONE_BCRYPT_COST of a spawned server.") var bcryptCost = 4
    @Option(help: "CHATONE_BCRYPT_COST of the server spawned for p5.") var stormBcryptCost = 12
    @Option(help: "CHATONE_LOG_LEVEL of a spawned server.") var serverLogLevel = "error"
    @Option(help: "Client event-loop threads.") var clientThreads = 1

    @Option(help: "p1: sender→receiver pairs.") var pairs = 50
    @Option(help: "p1: total target rates (msg/s), comma-separated, one step each.") var rates = "1000,2000,4000,8000,15000"
    @Option(help: "p1: seconds per step.") var duration = 5.0
    @Option(help: "p1: p99 ack limits (ms) for the 'highest rate held' lines, comma-separated.") var p99 = "50,100"
    @Option(help: "p1: stop stepping up once p99 ack exceeds this (ms).") var stopAbove = 1000.0
    @Option(help: "Seconds to wait for outstanding acks and deliveries after a step.") var drain = 10.0

    @Option(help: "p2: idle sockets.") var sockets = 10_000
    @Option(help: "p2: sockets per user.") var socketsPerUser = 10
    @Option(help: "p2: connect/disconnect rounds.") var rounds = 3
    @Option(help: "p2: handshakes in flight.") var connectParallel = 256
    @Option(help: "p2: seconds to wait before each RSS reading (after a close: 1.5 times this). Longer than the server's CHATONE_RECOVERY_WINDOW shows what it keeps once dropped sessions expire.")
    var settle = 2.0

    @Option(help: "p3: messages in the history conversation (10,000,000 is the target scale).") var historyMessages = 5_000
    @Option(help: "p3: sends in flight while filling.") var historyWindow = 256
    @Flag(help: "p3: fill the history with one SQL insert (sqlite3 CLI) into the spawned server's database instead of sending it; for the 10,000,000 scale.")
    var historySQLFill = false
    @Option(help: "p3: timed requests of each kind.") var historyQueries = 1_000
    @Option(help: "p3: conversations of the listing user.") var listConversations = 200

    @Option(help: "p6: messages to search (1,000,000 is the target scale).") var searchMessages = 20_000
    @Option(help: "p6: sends in flight while filling.") var searchWindow = 256
    @Option(help: "p6: timed searches of each kind.") var searchQueries = 500

    @Option(help: "p4: members of the fan-out group.") var groupSize = 100
    @Option(help: "p4: members connected.") var groupConnected = 100
    @Option(help: "p4: senders.") var groupSenders = 10
    @Option(help: "p4: sends in flight per sender.") var groupWindow = 8
    @Option(help: "p4: seconds of sending.") var groupDuration = 5.0
    @Option(help: "p4: members of the group that is renamed, shrunk and grown.") var bigGroupSize = 500
    @Option(help: "p4: members of the big group connected.") var bigGroupConnected = 100
    @Option(help: "p4: rounds of rename / remove / add.") var groupOps = 20

    @Option(help: "p5: message rate during both phases.") var stormRate = 1_000
    @Option(help: "p5: sender→receiver pairs (registered at the storm's bcrypt cost).") var stormPairs = 20
    @Option(help: "p5: seconds per phase.") var stormDuration = 10.0
    @Option(help: "p5: clients logging in continuously.") var stormClients = 50
    @Option(help: "p5: distinct users they log in as.") var stormUsers = 5

    mutating func run() async throws {
        if smoke { applySmokeSizes() }
        let files = SystemLimits.raiseOpenFiles()
        let pinned = pin && SystemLimits.cores >= 2
        if pin, !pinned { Console.line("--pin ignored: fewer than two cores") }
        if pinned { Console.line("pinned to core 1: \(SystemLimits.pinSelf(to: 1))") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, clientThreads))
        let names =
            workload == "all"
            ? ["p1", "p2", "p3", "p4", "p5", "p6"] : workload.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        Console.line(
            "chatone-bench: workloads \(names.joined(separator: ",")), open files \(files), \(SystemLimits.cores) cores" + (smoke ? ", smoke" : "")
        )
        var failures: [String] = []
        let options = self
        let started = MonotonicClock.now()
        for name in names {
            let begin = MonotonicClock.now()
            do {
                let ok = try await withServer(group: group, bcryptCost: name == "p5" && !smoke ? stormBcryptCost : bcryptCost, pinned: pinned) {
                    try await options.run(name, target: $0)
                }
                if !ok { failures.append(name) }
                Console.line("  \(name): \(ok ? "ok" : "FAILED checks") (\(fmt(MonotonicClock.seconds(since: begin), 1)) s)\n")
            } catch {
                failures.append(name)
                Console.line("  \(name): error: \(error)\n")
            }
        }
        try? await group.shutdownGracefully()
        Console.line(
            "chatone-bench: \(fmt(MonotonicClock.seconds(since: started), 1)) s"
                + (failures.isEmpty ? ", all checks passed" : ", failed: \(failures.joined(separator: ","))")
        )
        if smoke, !failures.isEmpty { throw ExitCode.failure }
    }

    private func run(_ name: String, target: BenchTarget) async throws -> Bool {
        switch name {
        case "p1":
            return try await RateStepsWorkload(
                pairs: pairs,
                rates: rates.split(separator: ",").compactMap { Int($0) },
                seconds: duration,
                p99Limits: p99.split(separator: ",").compactMap { Double($0) },
                stopAboveMs: stopAbove,
                drainSeconds: drain
            ).run(target)
        case "p2":
            return try await IdleSocketsWorkload(
                sockets: sockets,
                socketsPerUser: socketsPerUser,
                rounds: rounds,
                parallel: connectParallel,
                settleSeconds: smoke ? 0.2 : settle
            ).run(target)
        case "p3":
            return try await HistoryWorkload(
                messages: historyMessages,
                window: historyWindow,
                sqlFill: historySQLFill,
                queries: historyQueries,
                conversations: listConversations
            ).run(target)
        case "p4":
            return try await GroupWorkload(
                groupSize: groupSize,
                connected: groupConnected,
                senders: groupSenders,
                window: groupWindow,
                seconds: groupDuration,
                bigGroupSize: bigGroupSize,
                bigGroupConnected: bigGroupConnected,
                operations: groupOps,
                drainSeconds: drain
            ).run(target)
        case "p5":
            return try await LoginStormWorkload(
                pairs: stormPairs,
                rate: stormRate,
                seconds: stormDuration,
                clients: stormClients,
                loginUsers: stormUsers,
                drainSeconds: drain
            ).run(target)
        case "p6":
            return try await SearchWorkload(messages: searchMessages, window: searchWindow, queries: searchQueries).run(target)
        default:
            throw ValidationError("unknown workload \(name)")
        }
    }

    /// Runs `body` against a freshly spawned server, or against --host/--port when not spawning.
    private func withServer(group: MultiThreadedEventLoopGroup, bcryptCost: Int, pinned: Bool, _ body: (BenchTarget) async throws -> Bool)
        async throws -> Bool
    {
        let runID = "b" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        guard let spawn else {
            return try await body(BenchTarget(host: host, port: port, pid: serverPid, group: group, runID: runID, databasePath: nil))
        }
        let server = try await ServerProcess.spawn(
            executable: spawn,
            pinToCore: pinned ? 0 : nil,
            bcryptCost: bcryptCost,
            logLevel: serverLogLevel,
            databaseURL: spawnDatabaseURL,
            group: group
        )
        Console.line("  server pid \(server.pid) on 127.0.0.1:\(server.port), bcrypt cost \(bcryptCost)" + (pinned ? ", core 0" : ""))
        defer { server.stop() }
        return try await body(
            BenchTarget(
                host: "127.0.0.1", port: server.port, pid: server.pid, group: group, runID: runID,
                databasePath: spawnDatabaseURL == nil ? server.directory.appendingPathComponent("bench.sqlite").path : nil))
    }

    /// A few seconds in all: enough to exercise every path, not to measure.
    private mutating func applySmokeSizes() {
        if workload == "p1" { workload = "all" }
        pairs = 3
        rates = "60"
        duration = 1
        drain = 5
        sockets = 40
        rounds = 2
        connectParallel = 16
        historyMessages = 120
        historyWindow = 8
        historyQueries = 20
        searchMessages = 200
        searchWindow = 10
        searchQueries = 10
        listConversations = 5
        groupSize = 8
        groupConnected = 8
        groupSenders = 2
        groupWindow = 2
        groupDuration = 1
        bigGroupSize = 10
        bigGroupConnected = 4
        groupOps = 2
        stormRate = 40
        stormPairs = 2
        stormDuration = 1
        stormClients = 3
        stormUsers = 2
    }
}
