// socketio-conformance: the server the official Engine.IO v4 and Socket.IO v5 test suites expect,
// plus a few extra namespaces and events for this repository's interop tests.
//
// Usage: socketio-conformance [--port N] [--idle-timeout SECONDS] [--request-timeout SECONDS]
//                             [--ping-interval MS] [--connect-timeout MS] [--max-pending-sessions N]
//   --port                  default 3000, listens on 127.0.0.1
//   --idle-timeout          close connections with no HTTP request in progress for this long
//                           (default 60, 0 turns it off; WebSocket connections are exempt)
//   --request-timeout       close connections whose request (head and body) takes longer than this
//                           to arrive (default 10, 0 turns it off)
//   --ping-interval         Engine.IO pingInterval of both endpoints in milliseconds (default 300)
//   --connect-timeout       Socket.IO connectTimeout in milliseconds (default 1000)
//   --max-pending-sessions  most Socket.IO sessions without a namespace at once (default 4096, 0: no limit)
//
// Settings the suites assume: pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000,
// connectTimeout 1000 ms.
//
// /engine.io/  Engine.IO echo server: every message (text or binary) is sent back.
// /socket.io/  Socket.IO server:
//   namespaces "/" and "/custom":
//     on connect            emits "auth" with the handshake auth object
//     "message" ...args     answered with "message-back" and the same args
//     "message-with-ack"    acked with its args
//   extra, for interop tests, on "/" and "/protected":
//     "server-ack-request" ...args   the server emits "ask" with the args awaiting the client's ack
//                                    (5 s timeout), then emits "ask-result" with what the client acked
//                                    (or "ask-result" "timeout" if it did not)
//     "disconnect-me"                the server disconnects the socket from the namespace
//     "binary-echo" ...args          answered with "binary-back" and the same (binary) args
//   namespace "/protected": middleware refuses unless auth.token == "letmein", with CONNECT_ERROR
//     {"message":"unauthorized","data":{"code":"UNAUTHORIZED"}}; it also answers "message"
//     and "message-with-ack" like "/".
//   namespace "/slow": "slow" takes 10 ms (a handler waiting for a database commit, say).
// GET /stats  {"sessions":N,"pendingSessions":N,"slowStarted":N,"slowStartedAfterClose":N}: the Socket.IO
//   endpoint's open and pending sessions, and how many "slow" events started, in all and after their
//   connection had closed (abuse-resistance tests).

import Foundation
import Hummingbird
import Logging
import SocketIO
import Synchronization

let usage = """
    usage: socketio-conformance [--port N] [--idle-timeout SECONDS] [--request-timeout SECONDS] \
    [--ping-interval MS] [--connect-timeout MS] [--max-pending-sessions N]
    """
var port = 3000
var idleTimeout: Duration? = .seconds(60)
var requestTimeout: Duration? = .seconds(10)
var pingInterval: Duration = .milliseconds(300)
var connectTimeout: Duration = .milliseconds(1000)
var maxPendingSessions: Int? = 4096
var arguments = CommandLine.arguments.dropFirst().makeIterator()

/// The argument as seconds (0 meaning off), or exits with the usage.
func optionalSeconds(_ value: String?) -> Duration? {
    guard let value, let seconds = Double(value), seconds >= 0, seconds.isFinite else {
        print(usage)
        exit(2)
    }
    return seconds == 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded()))
}

while let argument = arguments.next() {
    switch argument {
    case "--port":
        guard let value = arguments.next(), let parsed = Int(value) else {
            print(usage)
            exit(2)
        }
        port = parsed
    case "--idle-timeout":
        idleTimeout = optionalSeconds(arguments.next())
    case "--request-timeout":
        requestTimeout = optionalSeconds(arguments.next())
    case "--connect-timeout":
        guard let value = arguments.next(), let milliseconds = Int(value), milliseconds > 0 else {
            print(usage)
            exit(2)
        }
        connectTimeout = .milliseconds(milliseconds)
    case "--max-pending-sessions":
        guard let value = arguments.next(), let count = Int(value), count >= 0 else {
            print(usage)
            exit(2)
        }
        maxPendingSessions = count == 0 ? nil : count
    case "--ping-interval":
        guard let value = arguments.next(), let milliseconds = Int(value), milliseconds > 0 else {
            print(usage)
            exit(2)
        }
        pingInterval = .milliseconds(milliseconds)
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        print("unknown argument \(argument)")
        exit(2)
    }
}

var logger = Logger(label: "socketio-conformance")
logger.logLevel = .warning

let io = SocketIOServer(
    configuration: .init(
        path: "/socket.io",
        pingInterval: pingInterval,
        pingTimeout: .milliseconds(200),
        maxPayload: 1_000_000,
        connectTimeout: connectTimeout,
        allowedOrigins: ["*"],
        maxPendingSessions: maxPendingSessions
    ),
    logger: logger
)

/// Echoes every Engine.IO message back to its sender.
struct EchoDelegate: EngineIOSocketDelegate {
    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) async {
        socket.send(message)
    }
    func engineSocket(_ socket: EngineIOSocket, didCloseWith reason: EngineIOCloseReason) async {}
}

let echo = EngineIOServer(
    configuration: .init(
        path: "/engine.io",
        pingInterval: pingInterval,
        pingTimeout: .milliseconds(200),
        maxPayload: 1_000_000,
        allowedOrigins: ["*"]
    ),
    logger: logger
) { _ in EchoDelegate() }

func installSuiteHandlers(on namespace: SocketIONamespace) {
    namespace.onConnection { socket in
        socket.emit("auth", socket.handshake.auth)
    }
    namespace.on("message") { event in
        event.socket.emit("message-back", arguments: event.arguments)
    }
    namespace.on("message-with-ack") { event in
        event.ack?.send(arguments: event.arguments)
    }
}

func installInteropHandlers(on namespace: SocketIONamespace) {
    namespace.on("server-ack-request") { event in
        let socket = event.socket
        do {
            let answer = try await socket.emitWithAck("ask", arguments: event.arguments, timeout: .seconds(5))
            socket.emit("ask-result", arguments: answer)
        } catch SocketIOError.ackTimeout {
            socket.emit("ask-result", "timeout")
        }
    }
    namespace.on("disconnect-me") { event in
        event.socket.disconnect()
    }
    namespace.on("binary-echo") { event in
        event.socket.emit("binary-back", arguments: event.arguments)
    }
}

installSuiteHandlers(on: io.of("/"))
installSuiteHandlers(on: io.of("/custom"))
installInteropHandlers(on: io.of("/"))

let protected = io.of("/protected")
protected.use { socket in
    guard socket.handshake.auth["token"]?.stringValue == "letmein" else {
        throw SocketIOConnectError("unauthorized", data: ["code": "UNAUTHORIZED"])
    }
}
installSuiteHandlers(on: protected)
installInteropHandlers(on: protected)

/// Counters of the "/slow" namespace.
final class SlowStats: Sendable {
    let started = Atomic<Int>(0)
    let startedAfterClose = Atomic<Int>(0)
}
let slowStats = SlowStats()
io.of("/slow").on("slow") { event in
    slowStats.started.add(1, ordering: .relaxed)
    if !event.socket.isConnected { slowStats.startedAfterClose.add(1, ordering: .relaxed) }
    try? await Task.sleep(for: .milliseconds(10))
}

let router = Router()
router.get("/stats") { _, _ -> Response in
    let body = """
        {"sessions":\(io.engine.sessionCount),"pendingSessions":\(io.engine.pendingSessionCount),\
        "slowStarted":\(slowStats.started.load(ordering: .relaxed)),\
        "slowStartedAfterClose":\(slowStats.startedAfterClose.load(ordering: .relaxed))}
        """
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
}
io.addRoutes(to: router)
echo.addRoutes(to: router)

let app = Application(
    router: router,
    server: .socketIO(io, engines: [echo], idleTimeout: idleTimeout, requestTimeout: requestTimeout),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "socketio-conformance"),
    services: [io],
    logger: logger
)
print("socketio-conformance listening on 127.0.0.1:\(port)")
try await app.runService()
