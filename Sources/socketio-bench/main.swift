// socketio-bench: loopback numbers for the SocketIO library.
//
//   socketio-bench [--connections N] [--clients C] [--seconds S]
//
// 1. Starts itself as a separate server process (`--serve`), so the client side does not pollute
//    the server's memory reading.
// 2. Echo throughput: C WebSocket clients each send `42["echo",i]` and wait for the echoed event
//    before sending the next, for S seconds; prints round trips per second.
// 3. Idle memory: opens N Socket.IO connections over WebSocket (each joined to namespace "/") and
//    reads the server's resident set size (VmRSS) before and after; prints (delta / N).

import Foundation
import Hummingbird
import HummingbirdWSClient
import Logging
import SocketIO
import Synchronization

struct Options {
    var connections = 1000
    var clients = 8
    var seconds = 5.0
    var serve = false
    var port = 0
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--connections": options.connections = Int(arguments.next() ?? "") ?? options.connections
        case "--clients": options.clients = Int(arguments.next() ?? "") ?? options.clients
        case "--seconds": options.seconds = Double(arguments.next() ?? "") ?? options.seconds
        case "--serve": options.serve = true
        case "--port": options.port = Int(arguments.next() ?? "") ?? 0
        default:
            print("usage: socketio-bench [--connections N] [--clients C] [--seconds S]")
            exit(2)
        }
    }
    return options
}

// MARK: - Server process

func serve(port: Int) async throws {
    var logger = Logger(label: "socketio-bench-server")
    logger.logLevel = .error
    let io = SocketIOServer(logger: logger)
    io.of("/").on("echo") { event in
        event.socket.emit("echo", arguments: event.arguments)
    }
    let router = Router()
    io.addRoutes(to: router)
    let app = Application(
        router: router,
        server: .socketIO(io),
        configuration: .init(address: .hostname("127.0.0.1", port: port)),
        services: [io],
        onServerRunning: { channel in
            // Unbuffered, so the parent process sees the line at once.
            FileHandle.standardOutput.write(Data("READY \(channel.localAddress?.port ?? 0)\n".utf8))
        },
        logger: logger
    )
    try await app.runService()
}

// MARK: - Client side

func residentBytes(pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kilobytes * 1024
    }
    return 0
}

/// Counts finished round trips across client tasks.
let roundTrips = Atomic<Int>(0)

/// Connects to namespace "/" and runs `body` with a text sender and the inbound iterator.
func withSocket(
    port: Int,
    _ body: @escaping @Sendable (WebSocketOutboundWriter, inout WebSocketInboundMessageStream.AsyncIterator) async throws -> Void
) async throws {
    let logger = Logger(label: "socketio-bench-client")
    try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket", logger: logger) {
        inbound, outbound, _ in
        var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
        _ = try await iterator.next()  // Engine.IO open
        try await outbound.write(.text("40"))
        _ = try await iterator.next()  // CONNECT reply
        try await body(outbound, &iterator)
    }
}

/// Reads until a Socket.IO event arrives, answering Engine.IO pings meanwhile.
func nextEvent(_ iterator: inout WebSocketInboundMessageStream.AsyncIterator, _ outbound: WebSocketOutboundWriter) async throws -> Bool {
    while let message = try await iterator.next() {
        if case .text(let text) = message {
            if text == "2" {
                try await outbound.write(.text("3"))
                continue
            }
            if text.hasPrefix("42") { return true }
        }
    }
    return false
}

func runEcho(port: Int, clients: Int, seconds: Double) async -> Double {
    let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
    let start = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<clients {
            group.addTask {
                try? await withSocket(port: port) { outbound, iterator in
                    var counter = 0
                    while ContinuousClock.now < deadline {
                        try await outbound.write(.text("42[\"echo\",\(counter)]"))
                        guard try await nextEvent(&iterator, outbound) else { return }
                        counter += 1
                        roundTrips.add(1, ordering: .relaxed)
                    }
                }
            }
        }
    }
    let elapsed = ContinuousClock.now - start
    let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(roundTrips.load(ordering: .relaxed)) / elapsedSeconds
}

/// Shared by the idle-connection tasks.
final class IdleProgress: Sendable {
    let connected = Atomic<Int>(0)
    let done = Atomic<Bool>(false)
}

/// Opens `count` idle connections, calls `measure` once all are connected, then closes them.
func withIdleConnections(port: Int, count: Int, measure: @escaping @Sendable () async -> Void) async {
    let progress = IdleProgress()
    await withTaskGroup(of: Void.self) { group in
        for index in 0..<count {
            group.addTask {
                try? await withSocket(port: port) { _, _ in
                    progress.connected.add(1, ordering: .relaxed)
                    while !progress.done.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(200)) }
                }
            }
            // Pace the opening a little so the accept queue never overflows.
            if index % 100 == 99 { try? await Task.sleep(for: .milliseconds(20)) }
        }
        group.addTask {
            let limit = ContinuousClock.now.advanced(by: .seconds(60))
            while progress.connected.load(ordering: .relaxed) < count, ContinuousClock.now < limit {
                try? await Task.sleep(for: .milliseconds(50))
            }
            try? await Task.sleep(for: .milliseconds(500))
            await measure()
            progress.done.store(true, ordering: .relaxed)
        }
    }
    print("  (\(progress.connected.load(ordering: .relaxed)) of \(count) connections were established)")
}

let options = parseOptions()
if options.serve {
    try await serve(port: options.port)
    exit(0)
}

let server = Process()
server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
server.arguments = ["--serve"]
let pipe = Pipe()
server.standardOutput = pipe
try server.run()
var port = 0
var buffer = Data()
while port == 0 {
    let chunk = pipe.fileHandleForReading.availableData
    if chunk.isEmpty { break }
    buffer.append(chunk)
    if let text = String(data: buffer, encoding: .utf8), let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }) {
        port = Int(line.dropFirst(6)) ?? 0
    }
}
guard port != 0 else {
    print("server did not start")
    exit(1)
}
let serverPID = server.processIdentifier
print("socketio-bench: server pid \(serverPID) on 127.0.0.1:\(port)")

let rate = await runEcho(port: port, clients: options.clients, seconds: options.seconds)
print(String(format: "echo: %d WebSocket clients, %.1f s: %.0f round trips/s", options.clients, options.seconds, rate))

try await Task.sleep(for: .seconds(1))
let before = residentBytes(pid: serverPID)
let count = options.connections
await withIdleConnections(port: port, count: count) {
    let after = residentBytes(pid: serverPID)
    print(
        String(
            format: "idle: %d connections: server RSS %.1f MiB -> %.1f MiB, %.1f KiB per connection",
            count, Double(before) / 1_048_576, Double(after) / 1_048_576, Double(after - before) / Double(count) / 1024
        )
    )
}
server.terminate()
server.waitUntilExit()
