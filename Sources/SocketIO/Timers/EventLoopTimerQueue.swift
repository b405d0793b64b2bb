import NIOCore
import NIOPosix
import Synchronization

/// Many one-shot timers on one event loop, behind a single NIO timer.
///
/// Every NIO `Scheduled` is an entry in its event loop's timer heap, and cancelling one searches that heap linearly.
/// With 10,000 connected sockets each holding a heartbeat, a connect timeout and an access-token expiry, every connect
/// and every close paid for a search through tens of thousands of entries (5% of the server's time in a handshake
/// benchmark). Here cancelling only drops the timer's action (O(1)); its entry stays in this queue's own heap until its
/// deadline comes up and is then skipped, and once cancelled entries are the majority the heap is rebuilt without them,
/// so memory stays bounded by the live timers.
///
/// Timers fire on ``eventLoop`` as precisely as NIO timers do: the queue keeps one NIO timer armed for its earliest
/// deadline, and on firing runs every timer that is due and re-arms for the next. Timers with the same deadline fire in
/// the order they were scheduled.
public final class EventLoopTimerQueue: Sendable {
    /// The loop the timers' actions run on.
    public let eventLoop: any EventLoop
    private let state: Mutex<State>

    private struct Entry {
        var deadline: NIODeadline
        var sequence: UInt64
        var timer: EventLoopTimer

        func precedes(_ other: Entry) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && sequence < other.sequence)
        }
    }

    private struct State: ~Copyable {
        /// A binary min-heap ordered by (deadline, sequence).
        var heap: [Entry] = []
        var nextSequence: UInt64 = 0
        /// Entries in the heap whose timer was cancelled (an upper bound: a timer cancelled between leaving the heap
        /// and firing is counted too, and fixed at the next rebuild).
        var cancelled = 0
        /// The NIO timer armed for the earliest deadline, and which arming it was.
        var armed: (deadline: NIODeadline, generation: UInt64, scheduled: Scheduled<Void>)?
        var nextGeneration: UInt64 = 0

        mutating func push(_ entry: Entry) {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].precedes(heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func popFirst() -> Entry? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let first = heap.removeLast()
            siftDown(from: 0)
            return first
        }

        mutating func siftDown(from index: Int) {
            var parent = index
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                var smallest = left
                let right = left + 1
                if right < heap.count, heap[right].precedes(heap[left]) { smallest = right }
                guard heap[smallest].precedes(heap[parent]) else { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }

        /// Drops the cancelled timers' entries and restores the heap order (O(n)).
        mutating func rebuild() {
            heap.removeAll { !$0.timer.isPending }
            cancelled = 0
            var index = heap.count / 2
            while index > 0 {
                index -= 1
                siftDown(from: index)
            }
        }
    }

    /// A queue on `eventLoop`. Most code uses ``next()``.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.state = Mutex(State())
    }

    private static let shared: [EventLoopTimerQueue] = MultiThreadedEventLoopGroup.singleton.makeIterator().map {
        EventLoopTimerQueue(eventLoop: $0)
    }
    private static let round = Atomic<Int>(0)

    /// One of the shared queues, one per event loop of `MultiThreadedEventLoopGroup.singleton`, taken in turn.
    public static func next() -> EventLoopTimerQueue {
        let queues = shared
        let turn = round.wrappingAdd(1, ordering: .relaxed).oldValue
        return queues[(turn & Int.max) % queues.count]
    }

    /// Queues made for loops outside the singleton group (an application's own `EventLoopGroup`), kept for good.
    private static let others = Mutex<[ObjectIdentifier: EventLoopTimerQueue]>([:])

    /// The queue whose timers run on `eventLoop`: a shared one for a loop of the singleton group, otherwise one made for
    /// that loop on first use.
    public static func on(_ eventLoop: any EventLoop) -> EventLoopTimerQueue {
        for queue in shared where queue.eventLoop === eventLoop {
            return queue
        }
        return others.withLock { others in
            if let queue = others[ObjectIdentifier(eventLoop)] { return queue }
            let queue = EventLoopTimerQueue(eventLoop: eventLoop)
            others[ObjectIdentifier(eventLoop)] = queue
            return queue
        }
    }

    /// Runs `action` on ``eventLoop`` once `delay` has passed, unless the returned timer is cancelled first.
    @discardableResult
    public func schedule(in delay: TimeAmount, _ action: @escaping @Sendable () -> Void) -> EventLoopTimer {
        schedule(at: .now() + delay, action)
    }

    /// Runs `action` on ``eventLoop`` at `deadline` (at once if it has passed), unless the returned timer is cancelled
    /// first.
    @discardableResult
    public func schedule(at deadline: NIODeadline, _ action: @escaping @Sendable () -> Void) -> EventLoopTimer {
        let timer = EventLoopTimer(queue: self, action: action)
        let superseded: Scheduled<Void>? = state.withLock { state in
            let entry = Entry(deadline: deadline, sequence: state.nextSequence, timer: timer)
            state.nextSequence &+= 1
            state.push(entry)
            if let armed = state.armed, armed.deadline <= deadline { return nil }
            let previous = state.armed?.scheduled
            arm(&state, at: deadline)
            return previous
        }
        // The earlier NIO timer is no longer needed; NIO's heap holds only these queues' timers, so this is cheap.
        superseded?.cancel()
        return timer
    }

    /// Called by a timer cancelled before it fired.
    func timerCancelled() {
        state.withLock { state in
            state.cancelled += 1
            // Rebuilding costs O(n) once at least n/2 cancels happened: O(1) each, amortized.
            if state.heap.count >= 64, state.cancelled * 2 > state.heap.count {
                state.rebuild()
            }
        }
    }

    /// Arms the NIO timer for `deadline`; called under the lock (scheduling takes NIO's own lock, never ours).
    private func arm(_ state: inout State, at deadline: NIODeadline) {
        let generation = state.nextGeneration
        state.nextGeneration &+= 1
        let scheduled = eventLoop.scheduleTask(deadline: deadline) { [weak self] () -> Void in
            guard let self else { return }
            self.fireDue(generation: generation)
        }
        state.armed = (deadline, generation, scheduled)
    }

    /// Runs every due timer and re-arms for the next deadline.
    private func fireDue(generation: UInt64) {
        var due: [EventLoopTimer] = []
        state.withLock { state in
            // A superseded arming (its cancel raced with its firing) leaves the work to the current one.
            guard let armed = state.armed, armed.generation == generation else { return }
            state.armed = nil
            let now = NIODeadline.now()
            while let first = state.heap.first, first.deadline <= now {
                _ = state.popFirst()
                if first.timer.isPending {
                    due.append(first.timer)
                } else if state.cancelled > 0 {
                    state.cancelled -= 1
                }
            }
            if let first = state.heap.first {
                arm(&state, at: first.deadline)
            }
        }
        for timer in due { timer.fire() }
    }
}
