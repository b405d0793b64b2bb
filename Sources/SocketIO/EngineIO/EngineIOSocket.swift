import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One Engine.IO session: a client connection that may move from long-polling to WebSocket.
///
/// Sending is synchronous and never suspends: frames go into a bounded outbound queue that the
/// active transport drains (a held polling GET, or the WebSocket writer). The queue and the session
/// state sit behind one `Mutex` rather than in an actor, so a broadcast to thousands of sessions
/// costs one short uncontended lock per recipient instead of an actor hop each.
public final class EngineIOSocket: Sendable {
    /// The session id (`sid`) given to the client in the handshake.
    public let id: String
    /// The HTTP request that opened the session.
    public let request: EngineIOHandshakeRequest

    let configuration: EngineIOConfiguration
    let logger: Logger
    /// Runs the session's timers (heartbeat, and the Socket.IO connect timeout) on its event loop.
    let timers: EventLoopTimerQueue
    private let state: Mutex<State>
    private let onClosed: @Sendable (EngineIOSocket, EngineIOCloseReason) -> Void
    private let onEstablished: @Sendable () -> Void

    struct State: ~Copyable {
        var transport: EngineIOTransport
        var closeReason: EngineIOCloseReason?
        var upgrading = false
        var probed = false
        var queue: [EngineIOFrame] = []
        var queuedBytes = 0
        /// The transport consumer waiting for frames (a held GET or the WebSocket writer).
        var waiter: CheckedContinuation<[EngineIOFrame]?, Never>?
        /// The WebSocket transport's writer, woken when frames are queued; it takes them on its event loop.
        var sink: (any EngineIOFrameSink)?
        /// The sink was woken and has not taken the queue yet: one wake-up per burst of frames, not one per frame.
        var sinkWoken = false
        /// The WebSocket transport has ended: whatever it could send is sent.
        var webSocketEnded = false
        var pollInFlight = false
        var postInFlight = false
        var lastPong: ContinuousClock.Instant
        /// When the unanswered ping expires; `nil` when no ping is outstanding.
        var pingDeadline: ContinuousClock.Instant?
        var heartbeat: EventLoopTimer?
        var delegate: (any EngineIOSocketDelegate)?
        /// Most frames the waiting consumer takes at once (`Int.max` for WebSocket).
        var waiterLimit = Int.max
        /// Counted in the server's pending sessions (until `markEstablished()` or the close).
        var pending: Bool

        /// Removes and returns up to `limit` frames from the head of the queue.
        mutating func take(limit: Int) -> [EngineIOFrame] {
            if queue.count <= limit {
                let batch = queue
                queue = []
                queuedBytes = 0
                return batch
            }
            let batch = Array(queue.prefix(limit))
            queue.removeFirst(limit)
            for frame in batch { queuedBytes -= frame.cost }
            return batch
        }
    }

    init(
        id: String,
        request: EngineIOHandshakeRequest,
        transport: EngineIOTransport,
        configuration: EngineIOConfiguration,
        logger: Logger,
        pending: Bool = false,
        onEstablished: @escaping @Sendable () -> Void = {},
        onClosed: @escaping @Sendable (EngineIOSocket, EngineIOCloseReason) -> Void
    ) {
        self.id = id
        self.request = request
        self.configuration = configuration
        self.logger = logger
        self.timers = EventLoopTimerQueue.next()
        self.onClosed = onClosed
        self.onEstablished = onEstablished
        self.state = Mutex(State(transport: transport, lastPong: .now, pending: pending))
    }

    /// The transport in use now.
    public var transport: EngineIOTransport {
        state.withLock { $0.transport }
    }

    /// Whether the session has ended.
    public var isClosed: Bool {
        state.withLock { $0.closeReason != nil }
    }

    /// Queues a message for the client.
    ///
    /// - Parameter volatile: when `true`, the message is dropped instead of queued if the client is
    ///   behind (frames already waiting), like Socket.IO's volatile emits.
    /// - Returns: whether the message was queued.
    @discardableResult
    public func send(_ message: EngineIOMessage, volatile: Bool = false) -> Bool {
        enqueue([.message(message)], volatile: volatile)
    }

    /// Closes the session: the client is told (a close packet on polling, a close frame on WebSocket)
    /// and the delegate's `didCloseWith` is called once.
    public func close(reason: EngineIOCloseReason = .forcedClose) {
        close(reason: reason, notifyClient: true)
    }

    /// Marks the session as established: it no longer counts toward `maxPendingSessions`.
    ///
    /// A raw Engine.IO delegate calls it once the client has proved itself (authenticated, say);
    /// `SocketIOServer` calls it when a namespace CONNECT succeeds. Calling it again does nothing.
    public func markEstablished() {
        if clearPending() { onEstablished() }
    }

    /// Whether the session has not been marked established (and was counted as pending).
    public var isPending: Bool {
        state.withLock { $0.pending }
    }

    /// Clears the pending mark; returns whether it was set, so exactly one caller uncounts the session.
    func clearPending() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    // MARK: - Internal: outbound queue

    /// Queues frames; all or none. Returns whether they were queued.
    @discardableResult
    func enqueue(_ frames: [EngineIOFrame], volatile: Bool = false) -> Bool {
        var cost = 0
        for frame in frames { cost += frame.cost }
        enum Outcome { case queued, wake(any EngineIOFrameSink), dropped, overflow }
        let outcome: Outcome = state.withLock { state in
            guard state.closeReason == nil else { return .dropped }
            if volatile, !state.queue.isEmpty { return .dropped }
            if state.queuedBytes + cost > configuration.maxOutboundBufferSize {
                return configuration.outboundBufferPolicy == .disconnect ? .overflow : .dropped
            }
            state.queue.append(contentsOf: frames)
            state.queuedBytes += cost
            if let waiter = state.waiter {
                state.waiter = nil
                let batch = state.take(limit: state.waiterLimit)
                // Resuming only schedules the waiting task, so doing it under the lock is safe and cheap.
                waiter.resume(returning: batch)
                return .queued
            }
            if let sink = state.sink, !state.sinkWoken {
                state.sinkWoken = true
                return .wake(sink)
            }
            return .queued
        }
        switch outcome {
        case .wake(let sink):
            sink.framesQueued()
            return true
        case .queued: return true
        case .dropped: return false
        case .overflow:
            logger.debug("outbound buffer full, closing", metadata: ["sid": "\(id)"])
            // Not queueing a close packet: the queue is what must be freed, at once.
            close(reason: .outboundBufferFull, notifyClient: false)
            return false
        }
    }

    /// Waits for queued frames and takes up to `limit` of them; `nil` once the session is closed and drained.
    func nextBatch(limit: Int = .max) async -> [EngineIOFrame]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[EngineIOFrame]?, Never>) in
            let immediate: [EngineIOFrame]?? = state.withLock { state in
                if !state.queue.isEmpty {
                    return .some(state.take(limit: limit))
                }
                if state.closeReason != nil { return .some(nil) }
                if let previous = state.waiter {
                    // Only one consumer at a time; a replaced consumer gets an empty batch (a noop).
                    previous.resume(returning: [.noop])
                }
                state.waiter = continuation
                state.waiterLimit = limit
                return .none
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Closes the session if its ping went unanswered past `pingTimeout` (the heartbeat task may
    /// run late on a busy machine; requests must not see a session that should be gone).
    /// Returns whether the session is closed.
    func closeIfPingOverdue() -> Bool {
        let overdue = state.withLock { state -> Bool in
            guard state.closeReason == nil, let deadline = state.pingDeadline else { return false }
            return ContinuousClock.now >= deadline
        }
        if overdue { close(reason: .pingTimeout, notifyClient: false) }
        return isClosed
    }

    /// Whether frames wait in the queue (for example a close packet for the next GET).
    var hasQueuedFrames: Bool {
        state.withLock { !$0.queue.isEmpty }
    }

    /// Takes whatever is queued without waiting.
    func takeQueued() -> [EngineIOFrame] {
        state.withLock { state in
            let batch = state.queue
            state.queue = []
            state.queuedBytes = 0
            return batch
        }
    }

    // MARK: - Internal: lifecycle

    func setDelegate(_ delegate: any EngineIOSocketDelegate) {
        state.withLock { $0.delegate = delegate }
    }

    var delegate: (any EngineIOSocketDelegate)? {
        state.withLock { $0.delegate }
    }

    /// Starts the heartbeat: a ping every `pingInterval` (counted from the last pong), and a close
    /// when the pong is later than `pingTimeout`. Timers run on an event loop rather than in a task
    /// per session, so an idle session costs one scheduled timer, not a suspended task; they are entries of a shared
    /// ``EventLoopTimerQueue``, not NIO timers, so that closing thousands of sessions does not search NIO's timer heap.
    func startHeartbeat() {
        schedule(after: configuration.pingInterval) { $0.sendPing() }
    }

    private func schedule(after delay: Duration, _ action: @escaping @Sendable (EngineIOSocket) -> Void) {
        let (seconds, attoseconds) = delay.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let scheduled = timers.schedule(in: .nanoseconds(max(0, nanoseconds))) { [weak self] in
            if let self { action(self) }
        }
        let keep = state.withLock { state -> Bool in
            guard state.closeReason == nil else { return false }
            state.heartbeat = scheduled
            return true
        }
        if !keep { scheduled.cancel() }
    }

    private func sendPing() {
        let sentAt = ContinuousClock.now
        let open = state.withLock { state -> Bool in
            guard state.closeReason == nil else { return false }
            state.pingDeadline = sentAt.advanced(by: configuration.pingTimeout)
            return true
        }
        guard open else { return }
        enqueue([.ping])
        schedule(after: configuration.pingTimeout) { $0.checkPong(sentAt: sentAt) }
    }

    private func checkPong(sentAt: ContinuousClock.Instant) {
        let lastPong = state.withLock { $0.lastPong }
        guard lastPong >= sentAt else {
            close(reason: .pingTimeout, notifyClient: false)
            return
        }
        let next = lastPong.advanced(by: configuration.pingInterval)
        schedule(after: max(.zero, next - ContinuousClock.now)) { $0.sendPing() }
    }

    /// Handles one decoded inbound packet. Returns `false` when the session is now closed.
    func receive(_ packet: EngineIOInboundPacket) async -> Bool {
        switch packet {
        case .pong:
            state.withLock { state in
                state.lastPong = .now
                state.pingDeadline = nil
            }
        case .message(let message):
            if let delegate { await delegate.engineSocket(self, didReceive: message) }
        case .close:
            close(reason: .transportClose, notifyClient: false)
            return false
        case .ping:
            // v4 heartbeats go from server to client; a client ping outside the upgrade probe
            // (handled by the WebSocket transport) is refused as the reference server does.
            close(reason: .parseError, notifyClient: false)
            return false
        case .noop, .upgrade:
            break
        }
        return !isClosed
    }

    func close(reason: EngineIOCloseReason, notifyClient: Bool) {
        typealias Released = (
            waiter: CheckedContinuation<[EngineIOFrame]?, Never>?, batch: [EngineIOFrame],
            sink: (any EngineIOFrameSink)?, heartbeat: EventLoopTimer?, delegate: (any EngineIOSocketDelegate)?
        )
        let released: Released? = state.withLock { state in
            guard state.closeReason == nil else { return nil }
            state.closeReason = reason
            if state.transport == .polling {
                if notifyClient {
                    // The pending (or next) GET tells the client the session is over.
                    state.queue.append(.close)
                } else {
                    // Nobody will read what is queued. The reference server ends a pending poll with
                    // a noop when the client closes.
                    state.queue = state.waiter != nil ? [.noop] : []
                    state.queuedBytes = 0
                }
            }
            let waiter = state.waiter
            state.waiter = nil
            var batch: [EngineIOFrame] = []
            if waiter != nil {
                batch = state.take(limit: state.waiterLimit)
            }
            // The WebSocket writer is woken once more: it sends what is queued, then closes the WebSocket. It stays
            // attached until it has taken the queue (`takeForSink`).
            let sink = state.sink
            state.sinkWoken = true
            let delegate = state.delegate
            // The delegate (a Socket.IO connection) refers back to this session; drop the cycle.
            state.delegate = nil
            return (waiter, batch, sink, state.heartbeat, delegate)
        }
        guard let released else { return }
        released.waiter?.resume(returning: released.batch.isEmpty ? nil : released.batch)
        released.sink?.framesQueued()
        released.heartbeat?.cancel()
        onClosed(self, reason)
        if let delegate = released.delegate {
            Task { await delegate.engineSocket(self, didCloseWith: reason) }
        }
    }

    // MARK: - Internal: polling

    enum PollStart {
        case ok
        case overlap
        case wrongTransport
    }

    /// Claims the polling GET slot; a second concurrent GET is an error that closes the session.
    func beginPoll() -> PollStart {
        state.withLock { state in
            if state.transport != .polling { return .wrongTransport }
            if state.pollInFlight { return .overlap }
            state.pollInFlight = true
            return .ok
        }
    }

    /// Whether a GET is parked waiting for packets.
    var hasWaitingPoll: Bool {
        state.withLock { $0.waiter != nil }
    }

    func endPoll() {
        state.withLock { $0.pollInFlight = false }
    }

    /// Whether an upgrade probe has been answered and the queue is empty: a GET then gets a noop at once.
    var shouldAnswerPollWithNoop: Bool {
        state.withLock { $0.probed && $0.transport == .polling && $0.queue.isEmpty }
    }

    func beginPost() -> PollStart {
        state.withLock { state in
            if state.transport != .polling { return .wrongTransport }
            if state.postInFlight { return .overlap }
            state.postInFlight = true
            return .ok
        }
    }

    func endPost() {
        state.withLock { $0.postInFlight = false }
    }

    // MARK: - Internal: upgrade

    /// A WebSocket with this sid arrived: reserve the upgrade. `false` if the session is closed,
    /// already on WebSocket or already being upgraded (that second WebSocket is refused).
    func attachUpgrade() -> Bool {
        state.withLock { state in
            guard state.closeReason == nil, state.transport == .polling, !state.upgrading else { return false }
            state.upgrading = true
            return true
        }
    }

    /// The client sent `2probe`; a held GET is released with a noop so the client can pause polling.
    func beginProbe() -> Bool {
        let (ok, waiter, batch) = state.withLock { state -> (Bool, CheckedContinuation<[EngineIOFrame]?, Never>?, [EngineIOFrame]) in
            guard state.closeReason == nil, state.upgrading else { return (false, nil, []) }
            state.probed = true
            // Only a GET that is waiting gets the noop; a later GET is answered with one directly
            // (`shouldAnswerPollWithNoop`), so no noop lingers for the WebSocket after the upgrade.
            guard let waiter = state.waiter else { return (true, nil, []) }
            state.waiter = nil
            state.queue.append(.noop)
            let batch = state.take(limit: state.waiterLimit)
            return (true, waiter, batch)
        }
        waiter?.resume(returning: batch)
        return ok
    }

    /// The client sent `5`: switch to WebSocket. A pending GET is released with a noop. The WebSocket transport
    /// then attaches itself (`attachSink`) and sends what was queued meanwhile.
    func completeUpgrade() -> Bool {
        let released: CheckedContinuation<[EngineIOFrame]?, Never>?? = state.withLock { state in
            guard state.closeReason == nil, state.upgrading, state.probed else { return nil }
            state.transport = .websocket
            state.upgrading = false
            let waiter = state.waiter
            state.waiter = nil
            return .some(waiter)
        }
        guard let waiter = released else { return false }
        waiter?.resume(returning: [.noop])
        return true
    }

    /// The probing WebSocket went away before completing the upgrade: stay on polling.
    func abortUpgrade() {
        state.withLock { state in
            if state.transport == .polling {
                state.upgrading = false
                state.probed = false
            }
        }
    }

    // MARK: - Internal: WebSocket writer

    /// Attaches the WebSocket transport's writer. Returns `false` (attaching nothing) unless the session is open and
    /// on WebSocket. The caller takes what is already queued (`takeForSink`) right after.
    func attachSink(_ sink: any EngineIOFrameSink) -> Bool {
        state.withLock { state in
            guard state.closeReason == nil, state.transport == .websocket else { return false }
            state.sink = sink
            state.sinkWoken = true
            return true
        }
    }

    /// Takes every queued frame for the WebSocket writer, and whether the session is closed (the writer then sends
    /// these last frames and closes the WebSocket; it is detached). Frames queued after this wake the sink again.
    func takeForSink() -> (frames: [EngineIOFrame], closed: Bool) {
        state.withLock { state in
            state.sinkWoken = false
            let batch = state.queue
            if !batch.isEmpty {
                state.queue = []
                state.queuedBytes = 0
            }
            let closed = state.closeReason != nil
            if closed { state.sink = nil }
            return (batch, closed)
        }
    }

    /// The WebSocket transport of this session has ended (its writer sent what was queued, or gave up).
    func webSocketTransportEnded() {
        state.withLock { $0.webSocketEnded = true }
    }

    /// Waits, at most `timeout`, until what was queued before the close has left: the WebSocket transport ended,
    /// or, on polling, a GET took the queue (with the close packet). A draining server calls it after `close`, so
    /// that the HTTP server's own shutdown does not cut off the last acks.
    public func waitUntilFlushed(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let flushed = state.withLock { state in
                state.transport == .websocket ? state.webSocketEnded : state.queue.isEmpty
            }
            if flushed { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether a WebSocket is attached for an upgrade that has not completed.
    var isUpgradePending: Bool {
        state.withLock { $0.upgrading && $0.transport == .polling && $0.closeReason == nil }
    }
}
