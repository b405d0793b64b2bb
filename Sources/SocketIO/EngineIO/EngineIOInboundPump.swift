import Synchronization

/// Packets read from a session's WebSocket, handed to the session one at a time in arrival order by a task that
/// exists only while packets wait: an idle WebSocket holds no task.
///
/// Backpressure: once `highWatermark` packets wait, `push` tells the transport to stop reading the socket (TCP then
/// pushes back on the client); the task calls `resumeReading` once no more than `lowWatermark` wait. The session
/// itself may suspend in `receive` (Socket.IO does while `maxPendingEvents` are queued), which holds the task and so
/// fills this queue.
///
/// Pausing happens on the transport's event loop, resuming is asked for from the task: by the time a resume runs on the
/// event loop, the queue may have filled and paused again. `resumeReading` therefore gets the pump and must check
/// `isPaused` there, or reading would go on with the queue marked paused and nothing would stop it again.
final class EngineIOInboundPump: Sendable {
    static let highWatermark = 8
    static let lowWatermark = 2

    private let session: EngineIOSocket
    private let resumeReading: @Sendable (EngineIOInboundPump) -> Void
    private let state = Mutex(State())

    private struct State {
        var packets: [EngineIOInboundPacket] = []
        var running = false
        var paused = false
        var finished = false
        /// Called once the queue is empty (the client half-closed: what it sent before is still handled).
        var onDrained: (@Sendable () -> Void)?
    }

    init(session: EngineIOSocket, resumeReading: @escaping @Sendable (EngineIOInboundPump) -> Void) {
        self.session = session
        self.resumeReading = resumeReading
    }

    /// Queues a packet. Returns whether the transport should stop reading until `resumeReading` is called.
    func push(_ packet: EngineIOInboundPacket) -> Bool {
        let (start, pause) = state.withLock { state -> (Bool, Bool) in
            guard !state.finished else { return (false, false) }
            state.packets.append(packet)
            let start = !state.running
            state.running = true
            if state.packets.count >= Self.highWatermark, !state.paused {
                state.paused = true
                return (start, true)
            }
            return (start, false)
        }
        if start { Task { await self.run() } }
        return pause
    }

    /// Whether the queue is full: the transport must not read until the pump asks it to resume.
    var isPaused: Bool {
        state.withLock { $0.paused && !$0.finished }
    }

    /// Calls `then` once every queued packet was handed over (at once when none waits).
    func whenDrained(_ then: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            guard state.running, !state.finished else { return true }
            state.onDrained = then
            return false
        }
        if now { then() }
    }

    /// The transport has ended: packets not handed over yet are dropped, and no more are taken.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.packets = []
        }
    }

    private func run() async {
        while true {
            var drained: (@Sendable () -> Void)?
            let (packet, resume) = state.withLock { state -> (EngineIOInboundPacket?, Bool) in
                guard !state.finished, !state.packets.isEmpty else {
                    state.running = false
                    drained = state.onDrained
                    state.onDrained = nil
                    return (nil, false)
                }
                let packet = state.packets.removeFirst()
                if state.paused, state.packets.count <= Self.lowWatermark {
                    state.paused = false
                    return (packet, true)
                }
                return (packet, false)
            }
            if resume { resumeReading(self) }
            guard let packet else {
                drained?()
                return
            }
            guard await session.receive(packet) else {
                finish()
                return
            }
        }
    }
}
