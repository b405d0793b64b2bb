import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// A minimal Socket.IO v5 client over Engine.IO v4, WebSocket transport only, namespace "/".
///
/// It does what the bench needs and nothing else: the Engine.IO open packet, CONNECT with an auth object,
/// answering pings (`2` → `3`), EVENT with an ack id (`42<id>[…]`), ACKs (`43<id>[…]`) and server events
/// (`42[…]`). Server events and acks for `emit(_:json:ackID:)` go to the callbacks as the raw packet text, so the
/// measuring code decides how much to parse; `emitWithAck` suspends until its ack arrives.
final class SocketIOClient: Sendable {
    /// Called on the connection's reading task with the whole packet text of a server event (`42[…]`).
    typealias EventHandler = @Sendable (String) -> Void
    /// Called with the ack id and the whole packet text (`43<id>[…]`) of acks that nobody awaits.
    typealias AckHandler = @Sendable (Int, String) -> Void

    private let onEvent: EventHandler
    private let onAck: AckHandler
    private let writer = Mutex<WebSocketOutboundWriter?>(nil)
    private let waiters = Mutex<[Int: CheckedContinuation<String, any Error>]>([:])
    private let connected = Mutex<CheckedContinuation<Void, any Error>?>(nil)
    private let nextAckID = Atomic<Int>(1)
    private let finished = Mutex<Task<Void, Never>?>(nil)

    private init(onEvent: @escaping EventHandler, onAck: @escaping AckHandler) {
        self.onEvent = onEvent
        self.onAck = onAck
    }

    /// Opens a WebSocket, connects to namespace "/" with `{"token": token}` and returns once the server accepted.
    static func connect(
        host: String,
        port: Int,
        token: String,
        group: any EventLoopGroup,
        onEvent: @escaping EventHandler = { _ in },
        onAck: @escaping AckHandler = { _, _ in }
    ) async throws -> SocketIOClient {
        let client = SocketIOClient(onEvent: onEvent, onAck: onAck)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            client.connected.withLock { $0 = continuation }
            let task = Task {
                do {
                    try await client.run(host: host, port: port, token: token, group: group)
                    client.resumeConnected(throwing: BenchError.unexpected("socket closed during the handshake"))
                } catch {
                    client.resumeConnected(throwing: error)
                }
                client.failWaiters()
            }
            client.finished.withLock { $0 = task }
        }
        return client
    }

    /// The next ack id; ids are unique per socket.
    func makeAckID() -> Int { nextAckID.add(1, ordering: .relaxed).oldValue }

    /// Sends `42<ackID>["event",json]`; the ack goes to the `onAck` callback.
    func emit(_ event: String, json: String, ackID: Int) async throws {
        try await send("42\(ackID)[\"\(event)\",\(json)]")
    }

    /// Sends an event and waits for its ack; returns the ack packet text.
    func emitWithAck(_ event: String, json: String) async throws -> String {
        let id = makeAckID()
        let packet = "42\(id)[\"\(event)\",\(json)]"
        return try await withCheckedThrowingContinuation { continuation in
            waiters.withLock { $0[id] = continuation }
            Task {
                do { try await self.send(packet) } catch { self.resumeWaiter(id, with: .failure(error)) }
            }
        }
    }

    func send(_ text: String) async throws {
        guard let outbound = writer.withLock({ $0 }) else { throw BenchError.unexpected("socket not connected") }
        try await outbound.write(.text(text))
    }

    /// Closes the WebSocket and waits until the connection has ended.
    func close() async {
        if let outbound = writer.withLock({ $0 }) { try? await outbound.close(.normalClosure, reason: nil) }
        await finished.withLock({ $0 })?.value
    }

    // MARK: - Reading

    private func run(host: String, port: Int, token: String, group: any EventLoopGroup) async throws {
        var logger = Logger(label: "chatone-bench.socket")
        logger.logLevel = .critical
        let url = "ws://\(host):\(port)/socket.io/?EIO=4&transport=websocket"
        try await WebSocketClient.connect(
            url: url,
            configuration: .init(maxFrameSize: 1 << 22),
            eventLoopGroup: group,
            logger: logger
        ) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
            guard case .text(let open)? = try await messages.next(), open.hasPrefix("0") else {
                throw BenchError.unexpected("no Engine.IO open packet")
            }
            try await outbound.write(.text("40{\"token\":\"\(token)\"}"))
            self.writer.withLock { $0 = outbound }
            while let message = try await messages.next() {
                guard case .text(let text) = message else { continue }
                try await self.handle(text, outbound: outbound)
            }
        }
    }

    private func handle(_ text: String, outbound: WebSocketOutboundWriter) async throws {
        let utf8 = text.utf8
        guard let first = utf8.first else { return }
        switch first {
        case UInt8(ascii: "2"):  // Engine.IO ping
            try await outbound.write(.text("3"))
        case UInt8(ascii: "4"):
            guard utf8.count >= 2 else { return }
            let kind = utf8[utf8.index(after: utf8.startIndex)]
            switch kind {
            case UInt8(ascii: "2"): onEvent(text)
            case UInt8(ascii: "3"):
                let id = Self.ackID(utf8)
                if waiters.withLock({ $0[id] != nil }) {
                    resumeWaiter(id, with: .success(text))
                } else {
                    onAck(id, text)
                }
            case UInt8(ascii: "0"): resumeConnected(throwing: nil)
            case UInt8(ascii: "4"): resumeConnected(throwing: BenchError.unexpected("CONNECT_ERROR \(text)"))
            case UInt8(ascii: "1"): try await outbound.close(.normalClosure, reason: nil)
            default: break
            }
        default: break
        }
    }

    /// The decimal id that follows `43`.
    private static func ackID(_ utf8: String.UTF8View) -> Int {
        var id = 0
        for byte in utf8.dropFirst(2) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            id = id * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return id
    }

    private func resumeConnected(throwing error: (any Error)?) {
        guard
            let continuation = connected.withLock({ state -> CheckedContinuation<Void, any Error>? in
                defer { state = nil }
                return state
            })
        else { return }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }

    private func resumeWaiter(_ id: Int, with result: Result<String, any Error>) {
        waiters.withLock { $0.removeValue(forKey: id) }?.resume(with: result)
    }

    private func failWaiters() {
        let all = waiters.withLock { state in
            defer { state = [:] }
            return state
        }
        for continuation in all.values { continuation.resume(throwing: BenchError.unexpected("socket closed")) }
        writer.withLock { $0 = nil }
    }
}
