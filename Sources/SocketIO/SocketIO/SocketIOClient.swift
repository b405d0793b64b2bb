import Logging
import NIOCore
import Synchronization

/// The Socket.IO side of one Engine.IO connection: decodes packets, multiplexes namespaces and runs
/// handlers in order.
///
/// Packets are decoded as they arrive. ACKs are resolved at once (a handler awaiting an ack from
/// its own client must not wait behind itself); CONNECT, EVENT and DISCONNECT go to a serial work
/// queue drained by a task that exists only while there is work, so an idle connection holds no task.
final class SocketIOClient: EngineIOSocketDelegate {
    let engine: EngineIOSocket
    private weak let server: SocketIOServer?
    private let state: Mutex<State>
    private let logger: Logger

    enum Work: Sendable {
        case connect(namespace: String, auth: JSONValue?)
        case event(namespace: String, packet: SocketIOPacket)
        case disconnect(namespace: String)
        case closed(SocketIODisconnectReason)
    }

    private struct State {
        var decoder: SocketIOPacketDecoder
        var sockets: [String: SocketIOSocket] = [:]
        var work: [Work] = []
        var draining = false
        var everConnected = false
        var connectTimer: Task<Void, Never>?
    }

    init(engine: EngineIOSocket, server: SocketIOServer) {
        self.engine = engine
        self.server = server
        self.logger = server.logger
        self.state = Mutex(State(decoder: SocketIOPacketDecoder(maxAttachments: server.configuration.maxAttachments)))
        let timeout = server.configuration.connectTimeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled, let self else { return }
            if !self.state.withLock({ $0.everConnected }) {
                self.engine.close(reason: .forcedClose)
            }
        }
        state.withLock { $0.connectTimer = timer }
    }

    // MARK: - Outbound

    func send(_ packet: SocketIOPacket, volatile: Bool = false) {
        engine.enqueue(Self.frames(for: packet), volatile: volatile)
    }

    static func frames(for packet: SocketIOPacket) -> [EngineIOFrame] {
        let (text, attachments) = packet.encode()
        var frames = [EngineIOFrame(isBinary: false, data: text)]
        for attachment in attachments { frames.append(EngineIOFrame(isBinary: true, data: attachment)) }
        return frames
    }

    // MARK: - Inbound

    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) async {
        let result: Result<SocketIOPacket?, SocketIOPacketDecoder.Error> = state.withLock { state in
            do throws(SocketIOPacketDecoder.Error) {
                switch message {
                case .text(let text): return .success(try state.decoder.decode(text: text))
                case .binary(let bytes): return .success(try state.decoder.decode(binary: bytes))
                }
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error):
            logger.debug("invalid Socket.IO packet, closing", metadata: ["sid": "\(engine.id)", "error": "\(error)"])
            engine.close(reason: .parseError, notifyClient: false)
        case .success(nil):
            break
        case .success(let packet?):
            route(packet)
        }
    }

    private func route(_ packet: SocketIOPacket) {
        switch packet.type {
        case .connect:
            enqueue(.connect(namespace: packet.namespace, auth: packet.data))
        case .event, .binaryEvent:
            enqueue(.event(namespace: packet.namespace, packet: packet))
        case .ack, .binaryAck:
            guard let socket = state.withLock({ $0.sockets[packet.namespace] }) else {
                // Like the reference server: a packet for a namespace the client is not in is illegal.
                engine.close(reason: .parseError, notifyClient: false)
                return
            }
            if let id = packet.id { socket.receiveAck(id: id, arguments: packet.data?.arrayValue ?? []) }
        case .disconnect:
            enqueue(.disconnect(namespace: packet.namespace))
        case .connectError:
            // Only servers send CONNECT_ERROR.
            engine.close(reason: .parseError, notifyClient: false)
        }
    }

    func engineSocket(_ socket: EngineIOSocket, didCloseWith reason: EngineIOCloseReason) async {
        state.withLock { $0.connectTimer?.cancel() }
        enqueue(.closed(SocketIODisconnectReason(engineReason: reason)))
    }

    private func enqueue(_ work: Work) {
        let start = state.withLock { state -> Bool in
            state.work.append(work)
            if state.draining { return false }
            state.draining = true
            return true
        }
        if start {
            Task { await self.drain() }
        }
    }

    private func drain() async {
        while true {
            let batch: [Work] = state.withLock { state in
                let batch = state.work
                state.work = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            for work in batch { await perform(work) }
        }
    }

    private func perform(_ work: Work) async {
        guard let server else { return }
        switch work {
        case .connect(let name, let auth):
            await connect(to: name, auth: auth, server: server)
        case .event(let name, let packet):
            guard let socket = state.withLock({ $0.sockets[name] }) else { return illegalState() }
            await socket.namespace.dispatch(packet, from: socket)
        case .disconnect(let name):
            guard let socket = state.withLock({ $0.sockets[name] }) else { return illegalState() }
            await finishRemoval(socket, reason: .clientNamespaceDisconnect)
        case .closed(let reason):
            let sockets = state.withLock { state in
                let sockets = Array(state.sockets.values)
                state.sockets = [:]
                return sockets
            }
            for socket in sockets { await disconnected(socket, reason: reason) }
        }
    }

    /// A packet that the connection's state does not allow (an event for a namespace the client has
    /// not joined, a second CONNECT): the reference server closes the connection.
    private func illegalState() {
        guard !engine.isClosed else { return }
        logger.debug("packet in invalid state, closing", metadata: ["sid": "\(engine.id)"])
        engine.close(reason: .parseError, notifyClient: false)
    }

    private func connect(to name: String, auth: JSONValue?, server: SocketIOServer) async {
        guard !engine.isClosed else { return }
        guard let namespace = server.existingNamespace(name) else {
            send(SocketIOPacket(type: .connectError, namespace: name, data: ["message": "Invalid namespace"]))
            return
        }
        if state.withLock({ $0.sockets[name] != nil }) { return illegalState() }
        let handshake = SocketIOHandshake(auth: auth ?? .object([:]), headers: engine.request.headers, query: engine.request.query)
        let socket = SocketIOSocket(id: SessionID.make(), namespace: namespace, handshake: handshake, client: self)
        do {
            try await namespace.runMiddlewares(socket)
        } catch let error as SocketIOConnectError {
            // Middleware may have joined rooms before refusing; a socket that never connects leaves no trace.
            await namespace.adapter.leaveAll(socketID: socket.id)
            send(SocketIOPacket(type: .connectError, namespace: name, data: error.payload))
            return
        } catch {
            await namespace.adapter.leaveAll(socketID: socket.id)
            logger.warning("connection middleware failed", metadata: ["namespace": "\(name)", "error": "\(error)"])
            send(SocketIOPacket(type: .connectError, namespace: name, data: ["message": "Internal server error"]))
            return
        }
        guard !engine.isClosed else {
            await namespace.adapter.leaveAll(socketID: socket.id)
            return
        }
        state.withLock { state in
            state.sockets[name] = socket
            state.everConnected = true
            state.connectTimer?.cancel()
            state.connectTimer = nil
        }
        socket.markConnected()
        await namespace.add(socket)
        send(SocketIOPacket(type: .connect, namespace: name, data: ["sid": .string(socket.id)]))
        await namespace.runConnectionHandlers(socket)
    }

    /// Server-side namespace disconnect: stop routing to the socket now, run hooks in order.
    func removeSocket(_ socket: SocketIOSocket, reason: SocketIODisconnectReason) {
        let removed = state.withLock { state -> Bool in
            guard state.sockets[socket.namespace.name] === socket else { return false }
            state.sockets[socket.namespace.name] = nil
            return true
        }
        guard removed else { return }
        // Fail pending acks at once; the hooks run on the work queue, after earlier events.
        let handlers = socket.markDisconnected()
        Task { await self.runDisconnect(socket, handlers: handlers, reason: reason) }
    }

    private func finishRemoval(_ socket: SocketIOSocket, reason: SocketIODisconnectReason) async {
        state.withLock { state in
            if state.sockets[socket.namespace.name] === socket { state.sockets[socket.namespace.name] = nil }
        }
        await disconnected(socket, reason: reason)
    }

    private func disconnected(_ socket: SocketIOSocket, reason: SocketIODisconnectReason) async {
        let handlers = socket.markDisconnected()
        await runDisconnect(socket, handlers: handlers, reason: reason)
    }

    private func runDisconnect(_ socket: SocketIOSocket, handlers: [SocketIOSocket.DisconnectHandler]?, reason: SocketIODisconnectReason) async {
        guard let handlers else { return }
        await socket.namespace.remove(socket)
        for handler in handlers { await handler(reason) }
        await socket.namespace.runDisconnectHandlers(socket, reason: reason)
    }
}
