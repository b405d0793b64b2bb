import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import WebSocketTestSupport
@testable import SocketIO

/// Runs a live Hummingbird application serving `io` on a free loopback port for the duration of `body`.
func withLiveServer(
    _ io: SocketIOServer,
    _ body: @Sendable (_ port: Int, _ client: any TestClientProtocol) async throws -> Void
) async throws {
    let router = Router()
    io.addRoutes(to: router)
    var logger = Logger(label: "socketio-tests")
    logger.logLevel = .warning
    let app = Application(
        router: router,
        server: .socketIO(io),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        services: [io],
        logger: logger
    )
    try await app.test(.live) { client in
        try await body(client.port!, client)
    }
}

/// Opens a WebSocket Engine.IO session and connects to `namespace` with `auth`; returns the
/// connection and the CONNECT reply (text without the leading "4").
func connectSocket(port: Int, namespace: String = "/", auth: String = "") async throws -> (WSTestConnection, String) {
    let ws = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket")
    guard let open = await ws.nextText(), open.hasPrefix("0{") else { throw TestFailure("no Engine.IO open packet") }
    let prefix = namespace == "/" ? "" : namespace + ","
    ws.send("40" + prefix + auth)
    guard let reply = await ws.nextText() else { throw TestFailure("no CONNECT reply") }
    return (ws, String(reply.dropFirst()))
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

extension TestClientProtocol {
    func request(_ uri: String, _ method: HTTPRequest.Method, body: String? = nil) async throws -> TestResponse {
        try await executeRequest(uri: uri, method: method, headers: [:], body: body.map { ByteBuffer(string: $0) })
    }
}

/// A server without connection state recovery whose default namespace answers `join` (its payload a room name)
/// by joining the room and acking `"joined"`.
func makeRoomServer() -> SocketIOServer {
    let io = SocketIOServer(configuration: SocketIOConfiguration(pingInterval: .seconds(5), pingTimeout: .seconds(5)))
    io.of("/").on("join") { event in
        await event.socket.join(event.payload?.stringValue ?? "")
        event.ack?("joined")
    }
    return io
}
