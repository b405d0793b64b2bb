import NIOCore
import Synchronization

/// Wake-ups of WebSocket connections noted while a batch of deliveries queues their frames, handed to each event
/// loop as one task when the batch ends (``SocketIOWakeups/batched(_:)``).
///
/// Queueing frames for a WebSocket from outside its event loop wakes that loop (`EventLoop.execute`: an eventfd
/// write, and on a busy core a context switch). A committed batch of messages queues an ack and a `message:new`
/// for every message, one wake-up each: 5% of the server's CPU at 12,000 msg/s went to those eventfd writes alone
/// (docs/performance.md, "P1: CPU per message"). Noted here instead, they cost one wake-up per loop per batch.
final class EngineIOWakeBatch: Sendable {
    /// The batch the current task is delivering in, if any.
    @TaskLocal static var current: EngineIOWakeBatch?

    private struct Loop {
        var loop: any EventLoop
        var work: [@Sendable () -> Void]
    }

    private struct State {
        var ended = false
        var loops: [ObjectIdentifier: Loop] = [:]
    }

    private let state = Mutex(State())

    /// Notes `work` to run on `loop` when the batch ends. False when it has ended already (work queued by a task
    /// that outlived the batch): the caller then wakes the loop itself.
    func add(on loop: any EventLoop, _ work: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard !state.ended else { return false }
            state.loops[ObjectIdentifier(loop), default: Loop(loop: loop, work: [])].work.append(work)
            return true
        }
    }

    /// Ends the batch: each loop gets one task that runs everything noted for it, in the order it was noted.
    func end() {
        let loops = state.withLock { state in
            state.ended = true
            defer { state.loops = [:] }
            return state.loops
        }
        for entry in loops.values {
            let work = entry.work
            entry.loop.execute {
                for item in work { item() }
            }
        }
    }
}

/// Batching of event-loop wake-ups for code that queues frames on many connections at once.
public enum SocketIOWakeups {
    /// Runs `body`; the WebSocket connections it queues frames for are woken when it returns, with one task per event
    /// loop rather than one per connection. Frames are queued (and counted against each connection's buffer) as
    /// `body` runs; only their writing waits for the end of `body`, so keep `body` to one batch of work.
    public static func batched(_ body: @Sendable () async -> Void) async {
        let batch = EngineIOWakeBatch()
        await EngineIOWakeBatch.$current.withValue(batch) { await body() }
        batch.end()
    }
}
