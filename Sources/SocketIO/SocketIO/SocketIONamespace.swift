import Logging
import Synchronization

/// A Socket.IO namespace: its middleware, handlers, connected sockets and rooms (through its adapter).
///
/// Configure it before clients connect: `use` for middleware, `onConnection`, `on` for events.
public final class SocketIONamespace: Sendable {
    /// The namespace name, e.g. `/` or `/admin`.
    public let name: String
    /// The room registry and broadcast implementation.
    public var adapter: any SocketIOAdapter { adapterBox.withLock { $0 }! }

    private let logger: Logger
    private let state = Mutex(State())

    public typealias Middleware = @Sendable (SocketIOSocket) async throws -> Void

    private struct State {
        var middlewares: [Middleware] = []
        var connectionHandlers: [@Sendable (SocketIOSocket) async -> Void] = []
        var disconnectHandlers: [@Sendable (SocketIOSocket, SocketIODisconnectReason) async -> Void] = []
        var eventHandlers: [String: @Sendable (SocketIOEvent) async throws -> Void] = [:]
        var unhandledEventHandler: (@Sendable (SocketIOEvent) async throws -> Void)?
        var sockets: [String: SocketIOSocket] = [:]
    }

    /// Connection state recovery, when the server has it on.
    let recovery: SocketIORecovery?
    /// Recorded events are delivered, and recovering sockets restored, one at a time (see ``SocketIORecoveryStore``).
    let ordered = SocketIOOrderedSection()

    init(name: String, logger: Logger, recovery: SocketIORecovery? = nil, makeAdapter: (SocketIONamespace) -> any SocketIOAdapter) {
        self.name = name
        self.logger = logger
        self.recovery = recovery
        self.adapterBox = Mutex(nil)
        // The adapter delivers through the namespace, so it can only be made once `self` exists.
        let adapter = makeAdapter(self)
        self.adapterBox.withLock { $0 = adapter }
    }

    private let adapterBox: Mutex<(any SocketIOAdapter)?>

    // MARK: - Configuration

    /// Adds connection middleware. Middleware runs in order for each connecting socket before it is
    /// connected; it can read `socket.handshake` and set `socket.data` or typed storage.
    /// Throw `SocketIOConnectError` to refuse the connection with a message and data.
    public func use(_ middleware: @escaping Middleware) {
        state.withLock { $0.middlewares.append(middleware) }
    }

    /// Adds a handler called for each socket once it is connected (after the CONNECT reply is queued).
    public func onConnection(_ handler: @escaping @Sendable (SocketIOSocket) async -> Void) {
        state.withLock { $0.connectionHandlers.append(handler) }
    }

    /// Adds a handler called when a socket of this namespace disconnects, after its own `onDisconnect` handlers.
    public func onDisconnect(_ handler: @escaping @Sendable (SocketIOSocket, SocketIODisconnectReason) async -> Void) {
        state.withLock { $0.disconnectHandlers.append(handler) }
    }

    /// Registers a handler of an event for every socket of the namespace.
    ///
    /// A socket's own handler of the same name (`SocketIOSocket.on`) runs after this one.
    public func on(_ event: String, _ handler: @escaping @Sendable (SocketIOEvent) async throws -> Void) {
        state.withLock { $0.eventHandlers[event] = handler }
    }

    /// Registers the handler of events that have no handler of their own, here or on the socket: say, to answer
    /// a client's ack of an event the server does not know, which would otherwise wait until its own timeout.
    public func onUnhandledEvent(_ handler: @escaping @Sendable (SocketIOEvent) async throws -> Void) {
        state.withLock { $0.unhandledEventHandler = handler }
    }

    // MARK: - Sockets

    /// The connected socket with this id on this node.
    public func socket(id: String) -> SocketIOSocket? {
        state.withLock { $0.sockets[id] }
    }

    /// The connected sockets of this node.
    public var sockets: [SocketIOSocket] {
        state.withLock { Array($0.sockets.values) }
    }

    /// The connected sockets in a room (on this node).
    public func sockets(in room: String) async -> [SocketIOSocket] {
        await SocketIOBroadcast(namespace: self, options: .init(rooms: [room])).fetchSockets()
    }

    // MARK: - Broadcasting

    /// A broadcast to the sockets in `rooms`.
    public func to(_ rooms: String...) -> SocketIOBroadcast {
        SocketIOBroadcast(namespace: self, options: .init(rooms: Set(rooms)))
    }

    /// A broadcast to every socket except those in `rooms` (a socket id is a room too).
    public func except(_ rooms: String...) -> SocketIOBroadcast {
        SocketIOBroadcast(namespace: self, options: .init(except: Set(rooms)))
    }

    /// A volatile broadcast to every socket.
    public var volatile: SocketIOBroadcast {
        SocketIOBroadcast(namespace: self, options: .init(isVolatile: true))
    }

    /// Emits to every socket of the namespace.
    public func emit(_ event: String, _ arguments: JSONValue...) async {
        await SocketIOBroadcast(namespace: self, options: .init()).emit(event, arguments: arguments)
    }

    /// Emits `event` once per emission, each to its own rooms with its own arguments (one object per recipient that
    /// differs per recipient), in the given order. With recovery on they are recorded with one call to the store
    /// and delivered in one pass of the ordered section, so no other event comes between them; that costs one
    /// store call and one turn of the section per call instead of one per emission.
    public func emit(_ event: String, each emissions: [SocketIOEmission]) async {
        let items = emissions.compactMap { emission -> (SocketIOPacket, SocketIOBroadcastOptions)? in
            // An empty room set would mean "everyone" to the adapter; nobody is the right reading here.
            guard !emission.options.rooms.isEmpty else { return nil }
            return (SocketIOPacket(type: .event, namespace: name, data: .array([.string(event)] + emission.arguments)), emission.options)
        }
        guard !items.isEmpty else { return }
        guard let recovery else {
            for (packet, options) in items { await adapter.broadcast(packet, options: options) }
            return
        }
        await ordered.run {
            let recorded = await recovery.record(items)
            for (packet, options) in zip(recorded, items.lazy.map(\.1)) { await adapter.broadcast(packet, options: options) }
        }
    }

    /// Delivers an encoded packet to local sockets; adapters call this.
    public func deliver(_ packet: SocketIOPacket, to socketIDs: Set<String>, options: SocketIOBroadcastOptions) {
        guard !socketIDs.isEmpty else { return }
        let frames = SocketIOClient.frames(for: packet)
        let targets = state.withLock { state in socketIDs.compactMap { state.sockets[$0] } }
        for socket in targets { socket.sendEncoded(frames, volatile: options.isVolatile) }
    }

    /// Hands a packet to the adapter; with recovery on, an event that can be replayed is recorded first and carries
    /// its offset as last argument.
    func publish(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions) async {
        guard let recovery, SocketIORecovery.records(packet, options: options) else {
            await adapter.broadcast(packet, options: options)
            return
        }
        await ordered.run {
            let recorded = await recovery.record(packet, options: options)
            await adapter.broadcast(recorded, options: options)
        }
    }

    /// Keeps the session of a socket that dropped for a transient reason, with its rooms, for its recovery.
    func keepForRecovery(_ socket: SocketIOSocket, reason: SocketIODisconnectReason) async {
        guard let recovery else { return }
        guard SocketIORecoveryConfiguration.recoverableReasons.contains(reason) else {
            // A shared store kept it since the socket connected; it must not outlive a socket that left for good.
            if let pid = socket.pid { await recovery.closed(pid: pid, namespace: name) }
            return
        }
        guard let session = socket.sessionToPersist(rooms: await adapter.rooms(of: socket.id)) else { return }
        await recovery.persist(session)
    }

    /// Tells the recovery store that a socket connected with its session (rooms as they are now).
    func openedForRecovery(_ socket: SocketIOSocket) async {
        guard let recovery, let session = socket.sessionToPersist(rooms: await adapter.rooms(of: socket.id)) else { return }
        await recovery.opened(session)
    }

    // MARK: - Internal

    func runMiddlewares(_ socket: SocketIOSocket) async throws {
        let middlewares = state.withLock { $0.middlewares }
        for middleware in middlewares { try await middleware(socket) }
    }

    func add(_ socket: SocketIOSocket) async {
        state.withLock { $0.sockets[socket.id] = socket }
        await adapter.join(socketID: socket.id, rooms: [socket.id])
    }

    func remove(_ socket: SocketIOSocket) async {
        state.withLock { state in
            if state.sockets[socket.id] === socket { state.sockets[socket.id] = nil }
        }
        await adapter.leaveAll(socketID: socket.id)
    }

    func runConnectionHandlers(_ socket: SocketIOSocket) async {
        let handlers = state.withLock { $0.connectionHandlers }
        for handler in handlers { await handler(socket) }
    }

    func runDisconnectHandlers(_ socket: SocketIOSocket, reason: SocketIODisconnectReason) async {
        let handlers = state.withLock { $0.disconnectHandlers }
        for handler in handlers { await handler(socket, reason) }
    }

    func dispatch(_ packet: SocketIOPacket, from socket: SocketIOSocket) async {
        guard case .array(let elements)? = packet.data, let first = elements.first else { return }
        let name: String
        switch first {
        case .string(let string): name = string
        case .number(let number): name = JSONValue.number(number).jsonString
        default: return
        }
        let ack = packet.id.map { SocketIOAck(socket: socket, id: $0) }
        let event = SocketIOEvent(name: name, arguments: Array(elements.dropFirst()), ack: ack, socket: socket)
        let (namespaceHandler, fallback) = state.withLock { ($0.eventHandlers[name], $0.unhandledEventHandler) }
        let socketHandler = socket.handler(for: name)
        do {
            if let namespaceHandler { try await namespaceHandler(event) }
            if let socketHandler { try await socketHandler(event) }
            if namespaceHandler == nil, socketHandler == nil, let fallback { try await fallback(event) }
        } catch {
            logger.debug("event handler failed", metadata: ["event": "\(name)", "error": "\(error)"])
        }
    }
}
