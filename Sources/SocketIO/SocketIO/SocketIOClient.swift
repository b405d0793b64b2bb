import Logging
import NIOCore
import Synchronization

/// The Socket.IO side of one Engine.IO connection: decodes packets, multiplexes namespaces and runs
/// handlers in order.
///
/// Packets are decoded as they arrive. ACKs are resolved at once (a handler awaiting an ack from
/// its own client must not wait behind itself); CONNECT, EVENT and DISCONNECT go to a serial work
/// queue drained by a task that exists only while there is work, so an idle connection holds no task.
///
/// The queue is bounded: at most `maxPendingEvents` client packets are queued or running. When it is
/// full, `engineSocket(_:didReceive:)` suspends, and with it the transport's reader (the WebSocket is
/// not read, a polling POST is not answered), so a client that writes faster than its handlers finish
/// is slowed down by TCP instead of growing the server's memory. Packets not yet started when the
/// connection closes are dropped; the disconnect handlers run after the one that is running.
///
/// A server that drains (``drainAndClose()``) is different: the packet already running is the server's promise
/// to answer it, so it finishes and its ack is queued before the connection closes.
final class SocketIOClient: EngineIOSocketDelegate {
    let engine: EngineIOSocket
    private weak let server: SocketIOServer?
    private let state: Mutex<State>
    private let logger: Logger
    private let maxPendingEvents: Int
    private let retainsHandshakeAuth: Bool

    enum Work: Sendable {
        case connect(namespace: String, auth: JSONValue?)
        case event(namespace: String, packet: SocketIOPacket)
        case disconnect(namespace: String)
        case closed(SocketIODisconnectReason)

        /// Whether it came from the client and counts toward `maxPendingEvents`.
        var isClientPacket: Bool {
            if case .closed = self { return false }
            return true
        }
    }

    private struct State {
        var decoder: SocketIOPacketDecoder
        var sockets: [String: SocketIOSocket] = [:]
        // Small: an idle connection keeps this buffer for its whole life (CircularBuffer() reserves 16 entries).
        var work = CircularBuffer<Work>(initialCapacity: 2)
        var draining = false
        var everConnected = false
        var connectTimer: EventLoopTimer?
        /// Client packets queued or running.
        var pendingPackets = 0
        /// Readers waiting for room in the queue (one per transport at most).
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
        /// `emitWithAck` calls waiting for this client's ack.
        var acksAwaited = 0
        var closed = false
        /// The server drains: no client packet is admitted any more.
        var shuttingDown = false
        /// Waiting for the work queue to be idle and every deferred answer sent (``drainAndClose()``).
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Acks whose handlers returned before answering them (``SocketIOAck/answerLater()``), not answered yet.
        var deferredAnswers = 0

        /// Nothing runs and nothing owed is still being worked out.
        var isIdle: Bool { !draining && deferredAnswers == 0 }
        /// Set once the disconnect handlers ran after the connection closed.
        var finished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []

        /// Removes the client packets that have not started and frees their places in the queue; returns the
        /// readers waiting for room, which the caller wakes outside the lock (nothing will be admitted any more).
        mutating func dropUnstartedClientPackets() -> [CheckedContinuation<Void, Never>] {
            let before = work.count
            work.removeAll { $0.isClientPacket }
            pendingPackets -= before - work.count
            defer { roomWaiters = [] }
            return roomWaiters
        }
    }

    init(engine: EngineIOSocket, server: SocketIOServer) {
        self.engine = engine
        self.server = server
        self.logger = server.logger
        self.maxPendingEvents = server.configuration.maxPendingEvents
        self.retainsHandshakeAuth = server.configuration.retainsHandshakeAuth
        let decoder = SocketIOPacketDecoder(
            maxAttachments: server.configuration.maxAttachments,
            maxPacketSize: server.configuration.engine.maxPayload
        )
        self.state = Mutex(State(decoder: decoder))
        // An event-loop timer rather than a sleeping task: a pending connection costs no task.
        let timeout = TimeAmount(server.configuration.connectTimeout)
        let timer = engine.timers.schedule(in: timeout) { [weak self] in
            guard let self, !self.state.withLock({ $0.everConnected }) else { return }
            self.logger.debug("no namespace joined within connectTimeout, closing", metadata: ["sid": "\(self.engine.id)"])
            self.engine.close(reason: .forcedClose)
        }
        state.withLock { $0.connectTimer = timer }
    }

    /// Client packets queued or running now (for tests and metrics).
    var pendingPacketCount: Int { state.withLock { $0.pendingPackets } }

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
            await route(packet)
        }
    }

    private func route(_ packet: SocketIOPacket) async {
        switch packet.type {
        case .connect:
            await admit(.connect(namespace: packet.namespace, auth: packet.data))
        case .event, .binaryEvent:
            await admit(.event(namespace: packet.namespace, packet: packet))
        case .ack, .binaryAck:
            guard let socket = state.withLock({ $0.sockets[packet.namespace] }) else {
                // Like the reference server: a packet for a namespace the client is not in is illegal.
                engine.close(reason: .parseError, notifyClient: false)
                return
            }
            if let id = packet.id { socket.receiveAck(id: id, arguments: packet.data?.arrayValue ?? []) }
        case .disconnect:
            await admit(.disconnect(namespace: packet.namespace))
        case .connectError:
            // Only servers send CONNECT_ERROR.
            engine.close(reason: .parseError, notifyClient: false)
        }
    }

    func engineSocket(_ socket: EngineIOSocket, didCloseWith reason: EngineIOCloseReason) async {
        let waiters = state.withLock { state in
            state.connectTimer?.cancel()
            state.connectTimer = nil
            state.closed = true
            // Client packets not started yet are dropped: nobody is there to answer, and a client that
            // queued thousands of them before leaving must not keep the server busy after it left.
            return state.dropUnstartedClientPackets()
        }
        wakeRoomWaiters(waiters)
        start(.closed(SocketIODisconnectReason(engineReason: reason)))
    }

    /// Queues a client packet once the queue has room; returns at once, dropping it, once the connection is closed.
    private func admit(_ work: Work) async {
        while true {
            enum Outcome { case queued(startDrain: Bool), dropped, full }
            let outcome = state.withLock { state -> Outcome in
                if state.closed || state.shuttingDown { return .dropped }
                // While a handler awaits this client's ack, read further: the ack may sit behind the
                // events that fill the queue. Twice the window still bounds the queue.
                let limit = state.acksAwaited > 0 ? 2 * maxPendingEvents : maxPendingEvents
                guard state.pendingPackets < limit else { return .full }
                state.pendingPackets += 1
                state.work.append(work)
                if state.draining { return .queued(startDrain: false) }
                state.draining = true
                return .queued(startDrain: true)
            }
            switch outcome {
            case .dropped:
                return
            case .queued(let startDrain):
                if startDrain { Task { await self.drain() } }
                return
            case .full:
                await waitForRoom()
            }
        }
    }

    /// Suspends until a queued packet finished, the ack window widened or the connection closed.
    private func waitForRoom() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                let limit = state.acksAwaited > 0 ? 2 * maxPendingEvents : maxPendingEvents
                if state.closed || state.shuttingDown || state.pendingPackets < limit { return true }
                state.roomWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Wakes readers waiting for room; they check again.
    private func wakeRoomWaiters(_ waiters: [CheckedContinuation<Void, Never>]) {
        for waiter in waiters { waiter.resume() }
    }

    /// A handler of this connection started waiting for the client's ack.
    func ackAwaitStarted() {
        let waiters = state.withLock { state in
            state.acksAwaited += 1
            defer { state.roomWaiters = [] }
            return state.roomWaiters
        }
        wakeRoomWaiters(waiters)
    }

    /// The ack arrived, timed out or failed.
    func ackAwaitEnded() {
        state.withLock { $0.acksAwaited -= 1 }
    }

    /// A handler returned before answering its ack; the answer comes later.
    func deferredAnswerStarted() {
        state.withLock { $0.deferredAnswers += 1 }
    }

    /// A deferred answer was sent: a drain waiting for it may go on.
    func deferredAnswerSent() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.deferredAnswers -= 1
            guard state.isIdle else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Queues internal work (never bounded, never dropped).
    private func start(_ work: Work) {
        let startDrain = state.withLock { state -> Bool in
            state.work.append(work)
            if state.draining { return false }
            state.draining = true
            return true
        }
        if startDrain {
            Task { await self.drain() }
        }
    }

    private func drain() async {
        while true {
            let (next, idleWaiters): (Work?, [CheckedContinuation<Void, Never>]) = state.withLock { state in
                guard let work = state.work.popFirst() else {
                    state.draining = false
                    guard state.isIdle else { return (nil, []) }
                    defer { state.idleWaiters = [] }
                    return (nil, state.idleWaiters)
                }
                return (work, [])
            }
            for waiter in idleWaiters { waiter.resume() }
            guard let next else { return }
            await perform(next)
            if next.isClientPacket {
                let waiters = state.withLock { state in
                    state.pendingPackets -= 1
                    defer { state.roomWaiters = [] }
                    return state.roomWaiters
                }
                wakeRoomWaiters(waiters)
            }
        }
    }

    private func perform(_ work: Work) async {
        guard let server else { return }
        switch work {
        case .connect(let name, let auth):
            await connect(to: name, auth: auth, server: server)
        case .event(let name, let packet):
            // The connection may have closed after this was queued, before the close was processed.
            guard !engine.isClosed else { return }
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
            let waiters = state.withLock { state in
                state.finished = true
                defer { state.finishWaiters = [] }
                return state.finishWaiters
            }
            for waiter in waiters { waiter.resume() }
            server.clientFinished(self)
        }
    }

    // MARK: - Server drain

    /// Ends the connection for a server that is going away, losing no answer it owes: client packets stop being
    /// admitted, those queued but not started are dropped (the client never got an answer to them, so it sends
    /// them again elsewhere), the one running finishes and its ack is queued, and only then is the connection
    /// closed (a close the client sees as a transport close, so it reconnects). Acks that handlers answer after
    /// returning (``SocketIOAck/answerLater()``) are waited for too. Returns once the disconnect handlers have run.
    func drainAndClose() async {
        let roomWaiters = state.withLock { state in
            state.shuttingDown = true
            return state.dropUnstartedClientPackets()
        }
        wakeRoomWaiters(roomWaiters)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.isIdle { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        // The websocket writer sends what is queued (the acks) before the close frame; polling answers it with the
        // next GET, before the close packet.
        engine.close(reason: .serverShutdown)
        await engine.waitUntilFlushed(timeout: .seconds(2))
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state -> Bool in
                if state.finished { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if finished { continuation.resume() }
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
        // A client recovering its state names its dropped session; taken now, so the socket gets that session's id
        // and middleware sees its data.
        var dropped: SocketIOPersistedSession?
        if let recovery = namespace.recovery, let pid = auth?["pid"]?.stringValue {
            dropped = await recovery.takeSession(pid: pid, namespace: name)
        }
        let socket = SocketIOSocket(id: dropped?.socketID ?? SessionID.make(), namespace: namespace, handshake: handshake, client: self)
        if let dropped { socket.beginRecovery(of: dropped) }
        do {
            try await namespace.runMiddlewares(socket)
            if !retainsHandshakeAuth { socket.releaseHandshakeAuth() }
        } catch let error as SocketIOConnectError {
            // Middleware may have joined rooms before refusing; a socket that never connects leaves no trace.
            await abandon(socket, namespace: namespace)
            send(SocketIOPacket(type: .connectError, namespace: name, data: error.payload))
            return
        } catch {
            await abandon(socket, namespace: namespace)
            logger.warning("connection middleware failed", metadata: ["namespace": "\(name)", "error": "\(error)"])
            send(SocketIOPacket(type: .connectError, namespace: name, data: ["message": "Internal server error"]))
            return
        }
        guard !engine.isClosed else {
            await abandon(socket, namespace: namespace)
            return
        }
        state.withLock { state in
            state.sockets[name] = socket
            state.everConnected = true
            state.connectTimer?.cancel()
            state.connectTimer = nil
        }
        // A connection in a namespace is no longer pending: it stops counting toward maxPendingSessions.
        engine.markEstablished()
        if let recovery = namespace.recovery {
            // Between two recorded events: each is either in the replay or delivered live, never neither nor both.
            await namespace.ordered.run {
                await openSocket(socket, namespace: namespace, recovery: recovery, offset: auth?["offset"]?.stringValue)
            }
            await namespace.openedForRecovery(socket)
        } else {
            socket.markConnected()
            await namespace.add(socket)
            send(SocketIOPacket(type: .connect, namespace: name, data: ["sid": .string(socket.id)]))
        }
        await namespace.runConnectionHandlers(socket)
    }

    /// Connects a socket with recovery on: restores the dropped session it took over if every event it missed can be
    /// told, and otherwise starts a new session; answers CONNECT with `sid`, `pid` and `recovered`, then replays.
    private func openSocket(_ socket: SocketIOSocket, namespace: SocketIONamespace, recovery: SocketIORecovery, offset: String?) async {
        var missed: [SocketIOPacket] = []
        if let dropped = socket.recoveryCandidate, let events = await recovery.missedEvents(of: dropped, after: offset) {
            missed = events
            await namespace.adapter.join(socketID: socket.id, rooms: dropped.rooms)
            socket.finishRecovery()
        } else {
            socket.startFresh(pid: SessionID.make(), baseOffset: await recovery.latestOffset())
        }
        socket.markConnected()
        await namespace.add(socket)
        let reply: JSONValue = ["sid": .string(socket.id), "pid": socket.pid.map(JSONValue.string) ?? .null, "recovered": .bool(socket.recovered)]
        send(SocketIOPacket(type: .connect, namespace: namespace.name, data: reply))
        for packet in missed { send(packet) }
    }

    /// A socket refused by middleware, or whose connection closed meanwhile: it leaves no room entry behind, and the
    /// dropped session it was taking over (unless middleware declined it) is kept again, so the client can still
    /// recover it once it connects with what middleware wants (a fresh token, say).
    private func abandon(_ socket: SocketIOSocket, namespace: SocketIONamespace) async {
        await namespace.adapter.leaveAll(socketID: socket.id)
        if let recovery = namespace.recovery, let dropped = socket.recoveryCandidate {
            await recovery.persist(dropped)
        }
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
        // Kept before the socket leaves its rooms, so the session names them.
        await socket.namespace.keepForRecovery(socket, reason: reason)
        await socket.namespace.remove(socket)
        for handler in handlers { await handler(reason) }
        await socket.namespace.runDisconnectHandlers(socket, reason: reason)
    }
}
