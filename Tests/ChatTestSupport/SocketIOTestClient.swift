import Foundation
import WebSocketTestSupport

/// A Socket.IO v5 client for tests, over Engine.IO v4 on a raw WebSocket: it writes and reads the protocol's text
/// frames itself, so a test sees exactly what a real client would receive.
///
/// Packets that arrive while the test waits for something else are kept, in order, for a later ``event(_:timeout:)``
/// or ``emit(_:_:timeout:)``. Engine.IO pings are answered.
public actor SocketIOTestClient {
    /// What the server answered to CONNECT on namespace `/`.
    public enum ConnectReply: Sendable, Equatable {
        /// `CONNECT` with its payload (`{"sid": …}`).
        case connected(JSON)
        /// `CONNECT_ERROR` with its payload (`{"message": …, "data": …}`).
        case refused(JSON)
    }

    public nonisolated let connection: WSTestConnection
    public nonisolated let connectReply: ConnectReply
    private var received: [SocketIOTestPacket] = []
    private var nextAckID = 0
    /// The offset of the last event read from the connection (connection state recovery), as socket.io-client keeps it.
    public private(set) var lastOffset: String?

    private init(connection: WSTestConnection, connectReply: ConnectReply) {
        self.connection = connection
        self.connectReply = connectReply
    }

    /// Opens an Engine.IO session over WebSocket on `127.0.0.1:port` and connects to namespace `/` with `auth`
    /// (a JSON object, or none). Throws when the server does not answer as Engine.IO/Socket.IO would.
    public static func connect(port: Int, auth: [String: String]? = nil, timeout: Duration = .seconds(10)) async throws -> SocketIOTestClient {
        let connection = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket")
        guard let open = await connection.nextText(timeout: timeout), open.hasPrefix("0{") else {
            throw SocketIOTestError("no Engine.IO open packet")
        }
        let authJSON = try auth.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        connection.send("40" + (authJSON ?? ""))
        guard let text = await connection.nextText(timeout: timeout), let packet = SocketIOTestPacket(frame: text) else {
            throw SocketIOTestError("no CONNECT reply")
        }
        switch packet.type {
        case 0: return SocketIOTestClient(connection: connection, connectReply: .connected(packet.payload))
        case 4: return SocketIOTestClient(connection: connection, connectReply: .refused(packet.payload))
        default: throw SocketIOTestError("unexpected reply to CONNECT: \(text)")
        }
    }

    /// The socket id of a connected client.
    public nonisolated var sid: String? { connectedPayload?["sid"]?.string }
    /// The private session id for connection state recovery (nil when the server has recovery off).
    public nonisolated var pid: String? { connectedPayload?["pid"]?.string }
    /// Whether the server recovered this client's dropped session.
    public nonisolated var recovered: Bool { connectedPayload?["recovered"]?.bool ?? false }

    private nonisolated var connectedPayload: JSON? {
        if case .connected(let payload) = connectReply { return payload }
        return nil
    }

    /// The auth object a client sends to recover this one's session after it dropped, as socket.io-client does:
    /// its token, `pid` and the offset of the last event it read (none if it read no event).
    public func recoveryAuth(token: String) -> [String: String] {
        var auth = ["token": token]
        if let pid { auth["pid"] = pid }
        if let lastOffset { auth["offset"] = lastOffset }
        return auth
    }

    /// The next event in arrival order, whatever its name: its name and first argument.
    public func nextEvent(timeout: Duration = .seconds(10)) async throws -> (name: String, payload: JSON) {
        let packet = try await next(timeout: timeout, "an event") { $0.type == 2 }
        return (packet.payload[0]?.string ?? "", packet.payload[1] ?? .null)
    }

    /// Emits `event` with one argument, `payload` (JSON text), asks for an ack and returns the ack's first argument.
    public func emit(_ event: String, _ payload: String, timeout: Duration = .seconds(10)) async throws -> JSON {
        let id = nextAckID
        nextAckID += 1
        let name = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        connection.send("42\(id)[\(name),\(payload)]")
        let ack = try await next(timeout: timeout, "the ack of \(event)") { $0.type == 3 && $0.ackID == id }
        return ack.payload[0] ?? .null
    }

    /// Emits `event` with one argument and an ack id, and returns that id at once without waiting for the answer, as
    /// a client that pipelines does; ``ack(_:timeout:)`` reads the answer.
    public func emitWithoutWaiting(_ event: String, _ payload: String) throws -> Int {
        let id = nextAckID
        nextAckID += 1
        let name = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        connection.send("42\(id)[\(name),\(payload)]")
        return id
    }

    /// The first argument of the ack with this id (of an ``emitWithoutWaiting(_:_:)``).
    public func ack(_ id: Int, timeout: Duration = .seconds(10)) async throws -> JSON {
        let ack = try await next(timeout: timeout, "ack \(id)") { $0.type == 3 && $0.ackID == id }
        return ack.payload[0] ?? .null
    }

    /// The first argument of the next `event` from the server.
    public func event(_ name: String, timeout: Duration = .seconds(10)) async throws -> JSON {
        let packet = try await next(timeout: timeout, "event \(name)") { $0.type == 2 && $0.payload[0]?.string == name }
        return packet.payload[1] ?? .null
    }

    /// Whether an `event` arrives within `timeout` (it is then consumed).
    public func receives(_ name: String, within timeout: Duration) async -> Bool {
        (try? await event(name, timeout: timeout)) != nil
    }

    public func close() {
        connection.close()
    }

    private func next(timeout: Duration, _ what: String, where matches: (SocketIOTestPacket) -> Bool) async throws -> SocketIOTestPacket {
        if let index = received.firstIndex(where: matches) { return received.remove(at: index) }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            guard let text = await connection.nextText(timeout: deadline - ContinuousClock.now) else { break }
            guard let packet = SocketIOTestPacket(frame: text) else { throw SocketIOTestError("not a Socket.IO packet: \(text)") }
            if pid != nil, packet.type == 2, let offset = packet.payload.array?.last?.string { lastOffset = offset }
            if matches(packet) { return packet }
            received.append(packet)
        }
        throw SocketIOTestError("no \(what) within \(timeout)")
    }
}
