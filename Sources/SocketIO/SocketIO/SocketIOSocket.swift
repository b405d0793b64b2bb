import Foundation
import Logging
import NIOCore
import Synchronization

/// A client's connection to one namespace.
///
/// Emitting never suspends: packets are encoded and queued on the connection's bounded outbound
/// buffer. Handlers registered with `on(_:_:)` run one at a time, in arrival order, per connection.
public final class SocketIOSocket: Sendable, Identifiable, Hashable {
    /// The socket id (different from the Engine.IO session id). The socket is always in a room of this name.
    public let id: String
    /// The namespace the socket is connected to.
    public let namespace: SocketIONamespace
    /// What the client presented when connecting.
    ///
    /// `auth` reads as an empty object after `releaseHandshakeAuth()` (or once connected, with
    /// `SocketIOConfiguration.retainsHandshakeAuth` off).
    public var handshake: SocketIOHandshake {
        state.withLock { $0.handshake }
    }

    let client: SocketIOClient
    private let state: Mutex<State>

    typealias EventHandler = @Sendable (SocketIOEvent) async throws -> Void
    typealias DisconnectHandler = @Sendable (SocketIODisconnectReason) async -> Void

    private struct State {
        var connected = false
        var disconnected = false
        var handlers: [String: EventHandler] = [:]
        var disconnectHandlers: [DisconnectHandler] = []
        var pendingAcks: [Int: CheckedContinuation<[JSONValue], any Error>] = [:]
        var nextAckID = 0
        var data: JSONValue = .null
        var storage: [ObjectIdentifier: any Sendable] = [:]
        var handshake: SocketIOHandshake
        /// Connection state recovery: the private session id (nil when recovery is off), the newest offset when the
        /// session began, the dropped session being restored (until it is, or declined) and whether it was.
        var pid: String?
        var baseOffset: String?
        var candidate: SocketIOPersistedSession?
        var recovered = false
    }

    init(id: String, namespace: SocketIONamespace, handshake: SocketIOHandshake, client: SocketIOClient) {
        self.id = id
        self.namespace = namespace
        self.client = client
        self.state = Mutex(State(handshake: handshake))
    }

    /// Drops the CONNECT payload (`handshake.auth` becomes an empty object) so the socket does not hold
    /// it for its whole life; headers and query stay (they are shared with the connection).
    ///
    /// Call it from the last middleware once what is needed was copied to `data` or typed storage, or
    /// set `SocketIOConfiguration.retainsHandshakeAuth` to `false` to have it done for every socket.
    public func releaseHandshakeAuth() {
        state.withLock { state in
            let handshake = state.handshake
            state.handshake = SocketIOHandshake(auth: .object([:]), headers: handshake.headers, query: handshake.query)
        }
    }

    public static func == (lhs: SocketIOSocket, rhs: SocketIOSocket) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    // MARK: - Connection state recovery

    /// Whether this socket took over the session of a socket that dropped (Socket.IO's `socket.recovered`): it has that
    /// socket's id, rooms and `data`, and got the events it missed.
    ///
    /// In middleware it says that the client asked to recover a session that still exists; `data` then holds that
    /// session's data, so middleware can check the client is the one it belonged to and otherwise call
    /// ``declineRecovery()``. Once connected it says whether the recovery happened.
    public var recovered: Bool { state.withLock { $0.recovered } }

    /// Refuses, from middleware, to recover the session the client asked for: the socket connects as a new one (no
    /// rooms, data or events of the old one; a new private id), and the old session is dropped for good.
    public func declineRecovery() {
        state.withLock { state in
            guard state.candidate != nil else { return }
            state.candidate = nil
            state.recovered = false
            state.data = .null
        }
    }

    /// Takes over a dropped session, before middleware runs.
    func beginRecovery(of session: SocketIOPersistedSession) {
        state.withLock { state in
            state.candidate = session
            state.pid = session.pid
            state.baseOffset = session.baseOffset
            state.data = session.data
            state.recovered = true
        }
    }

    /// The dropped session this socket is taking over, unless middleware declined it.
    var recoveryCandidate: SocketIOPersistedSession? { state.withLock { $0.candidate } }

    /// The recovery did not happen (declined, or the missed events could not all be told): a new session, from `base`.
    func startFresh(pid: String, baseOffset: String?) {
        state.withLock { state in
            if state.candidate != nil { state.data = .null }
            state.candidate = nil
            state.recovered = false
            state.pid = pid
            state.baseOffset = baseOffset
        }
    }

    func finishRecovery() {
        state.withLock { $0.candidate = nil }
    }

    /// What recovery keeps of this socket when it drops, or nil (recovery off, or the socket never connected).
    func sessionToPersist(rooms: Set<String>) -> SocketIOPersistedSession? {
        state.withLock { state in
            guard state.connected, let pid = state.pid else { return nil }
            return SocketIOPersistedSession(
                namespace: namespace.name, socketID: id, pid: pid, rooms: rooms, data: state.data, baseOffset: state.baseOffset,
                disconnectedAt: Date())
        }
    }

    /// The private session id, sent in the CONNECT reply.
    var pid: String? { state.withLock { $0.pid } }

    /// Whether the socket is connected (middleware passed and not yet disconnected).
    /// False as soon as the underlying connection is closed, even before disconnect handlers ran.
    public var isConnected: Bool { state.withLock { $0.connected && !$0.disconnected } && !client.engine.isClosed }

    /// The Engine.IO session id of the underlying connection.
    public var connectionID: String { client.engine.id }

    /// The transport the connection uses now.
    public var transport: EngineIOTransport { client.engine.transport }

    /// Free-form JSON data attached to the socket (e.g. by middleware), like `socket.data` in the reference server.
    public var data: JSONValue {
        get { state.withLock { $0.data } }
        set { state.withLock { $0.data = newValue } }
    }

    /// Typed per-socket storage.
    public subscript<Key: SocketIOStorageKey>(key: Key.Type) -> Key.Value? {
        get { state.withLock { $0.storage[ObjectIdentifier(key)] as? Key.Value } }
        set { state.withLock { $0.storage[ObjectIdentifier(key)] = newValue } }
    }

    // MARK: - Handlers

    /// Registers the handler of an event for this socket (replacing a previous one of that name).
    ///
    /// Namespace-wide handlers (`SocketIONamespace.on`) run first when both exist.
    public func on(_ event: String, _ handler: @escaping @Sendable (SocketIOEvent) async throws -> Void) {
        state.withLock { $0.handlers[event] = handler }
    }

    /// Registers a handler called once when the socket disconnects, with the reason.
    public func onDisconnect(_ handler: @escaping @Sendable (SocketIODisconnectReason) async -> Void) {
        state.withLock { $0.disconnectHandlers.append(handler) }
    }

    func handler(for event: String) -> EventHandler? {
        state.withLock { $0.handlers[event] }
    }

    // MARK: - Emitting

    /// Emits an event to this client.
    public func emit(_ event: String, _ arguments: JSONValue...) {
        emit(event, arguments: arguments)
    }

    /// Emits an event to this client.
    ///
    /// - Parameter volatile: drop the event instead of queueing it if the client is behind.
    public func emit(_ event: String, arguments: [JSONValue], volatile: Bool = false) {
        sendPacket(SocketIOPacket(type: .event, namespace: namespace.name, data: .array([.string(event)] + arguments)), volatile: volatile)
    }

    /// Emits an event with one `Encodable` argument.
    public func emit(_ event: String, encoding value: some Encodable) throws {
        emit(event, arguments: [try JSONValue(encoding: value)])
    }

    /// Emits an event and waits for the client's acknowledgement.
    ///
    /// - Returns: the arguments the client acknowledged with.
    /// - Throws: `SocketIOError.ackTimeout` after `timeout`, `SocketIOError.disconnected` if the socket goes away first.
    public func emitWithAck(_ event: String, _ arguments: JSONValue..., timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
        try await emitWithAck(event, arguments: arguments, timeout: timeout)
    }

    /// Emits an event and waits for the client's acknowledgement.
    public func emitWithAck(_ event: String, arguments: [JSONValue], timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
        let id: Int? = state.withLock { state in
            guard state.connected, !state.disconnected else { return nil }
            let id = state.nextAckID
            state.nextAckID = (state.nextAckID + 1) & 0x3FFF_FFFF
            return id
        }
        guard let id else { throw SocketIOError.disconnected }
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        // Lets the connection read past queued events to this ack (see `maxPendingEvents`).
        client.ackAwaitStarted()
        defer { client.ackAwaitEnded() }
        return try await withCheckedThrowingContinuation { continuation in
            let registered = state.withLock { state -> Bool in
                guard !state.disconnected else { return false }
                state.pendingAcks[id] = continuation
                return true
            }
            guard registered else {
                continuation.resume(throwing: SocketIOError.disconnected)
                return
            }
            // Started only once the continuation is registered, so an early timeout cannot miss it.
            timer.withLock { task in
                task = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    self?.failAck(id, with: SocketIOError.ackTimeout)
                }
            }
            sendPacket(SocketIOPacket(type: .event, namespace: namespace.name, id: id, data: .array([.string(event)] + arguments)))
        }
    }

    private func failAck(_ id: Int, with error: any Error) {
        state.withLock { $0.pendingAcks.removeValue(forKey: id) }?.resume(throwing: error)
    }

    func receiveAck(id: Int, arguments: [JSONValue]) {
        state.withLock { $0.pendingAcks.removeValue(forKey: id) }?.resume(returning: arguments)
    }

    func sendPacket(_ packet: SocketIOPacket, volatile: Bool = false) {
        client.send(packet, volatile: volatile)
    }

    /// Sends an already encoded packet (broadcasts encode once for every recipient).
    func sendEncoded(_ frames: [EngineIOFrame], volatile: Bool) {
        guard isConnected else { return }
        client.engine.enqueue(frames, volatile: volatile)
    }

    // MARK: - Rooms

    /// Joins rooms.
    public func join(_ rooms: String...) async {
        await namespace.adapter.join(socketID: id, rooms: Set(rooms))
    }

    /// Joins rooms.
    public func join(rooms: some Sequence<String>) async {
        await namespace.adapter.join(socketID: id, rooms: Set(rooms))
    }

    /// Leaves a room.
    public func leave(_ room: String) async {
        await namespace.adapter.leave(socketID: id, room: room)
    }

    /// The rooms the socket is in (its own id included).
    public func rooms() async -> Set<String> {
        await namespace.adapter.rooms(of: id)
    }

    /// A broadcast to sockets in `rooms`, excluding this socket.
    public func to(_ rooms: String...) -> SocketIOBroadcast {
        SocketIOBroadcast(namespace: namespace, options: .init(rooms: Set(rooms), except: [id]))
    }

    /// A broadcast to every other socket of the namespace.
    public var broadcast: SocketIOBroadcast {
        SocketIOBroadcast(namespace: namespace, options: .init(except: [id]))
    }

    // MARK: - Disconnect

    /// Disconnects the socket from its namespace (the client gets a DISCONNECT packet).
    ///
    /// - Parameters:
    ///   - close: also close the whole underlying connection (all its namespaces).
    ///   - reason: the reason disconnect handlers see; by default `serverNamespaceDisconnect`, or
    ///     `forcedServerClose` with `close`. Clients are not told reasons (the protocol has no field for it).
    public func disconnect(close: Bool = false, reason: SocketIODisconnectReason? = nil) {
        if close {
            client.engine.close(reason: reason.map { EngineIOCloseReason($0.name) } ?? .forcedClose)
        } else {
            sendPacket(SocketIOPacket(type: .disconnect, namespace: namespace.name))
            client.removeSocket(self, reason: reason ?? .serverNamespaceDisconnect)
        }
    }

    func markConnected() {
        state.withLock { $0.connected = true }
    }

    /// Marks the socket disconnected and fails its pending acks. Returns the disconnect handlers
    /// to run, or `nil` if it was already disconnected.
    func markDisconnected() -> [DisconnectHandler]? {
        let (handlers, acks) = state.withLock { state -> ([DisconnectHandler]?, [CheckedContinuation<[JSONValue], any Error>]) in
            guard !state.disconnected else { return (nil, []) }
            state.disconnected = true
            let acks = Array(state.pendingAcks.values)
            state.pendingAcks = [:]
            let handlers = state.connected ? state.disconnectHandlers : []
            state.disconnectHandlers = []
            state.handlers = [:]
            return (handlers, acks)
        }
        for ack in acks { ack.resume(throwing: SocketIOError.disconnected) }
        return handlers
    }
}
