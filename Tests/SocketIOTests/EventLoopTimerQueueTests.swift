import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import SocketIO

@Suite("Many timers behind one NIO timer")
struct EventLoopTimerQueueTests {
    /// What fired: the timer's number, the deadline it had and when it ran, in the order they ran.
    final class Log: Sendable {
        private let entries = Mutex<[(number: Int, deadline: NIODeadline, ranAt: NIODeadline, onLoop: Bool)]>([])

        func record(_ number: Int, deadline: NIODeadline, loop: any EventLoop) {
            let ranAt = NIODeadline.now()
            let onLoop = loop.inEventLoop
            entries.withLock { $0.append((number, deadline, ranAt, onLoop)) }
        }

        var all: [(number: Int, deadline: NIODeadline, ranAt: NIODeadline, onLoop: Bool)] { entries.withLock { $0 } }
    }

    @Test("timers fire on the loop, not before their deadline, in deadline order (ties in scheduling order); cancelled ones never")
    func orderAndCancellation() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let queue = EventLoopTimerQueue(eventLoop: loop)
        let log = Log()
        let start = NIODeadline.now()
        var timers: [(number: Int, deadline: NIODeadline, timer: EventLoopTimer)] = []
        // Scheduled out of deadline order, with ties, and from a thread that is not the loop's.
        for number in 0..<300 {
            let deadline = start + .milliseconds(Int64(40 + (number * 7) % 50))
            let timer = queue.schedule(at: deadline) { log.record(number, deadline: deadline, loop: loop) }
            timers.append((number, deadline, timer))
        }
        // Two thirds cancelled: enough for the queue to rebuild its heap without them on the way.
        for entry in timers where entry.number % 3 != 0 { entry.timer.cancel() }
        // A timer earlier than every other one, scheduled last: the queue must re-arm for it.
        let early = start + .milliseconds(20)
        queue.schedule(at: early) { log.record(-1, deadline: early, loop: loop) }
        // A cancelled timer cancelled again, and one cancelled after it fired, change nothing.
        timers[1].timer.cancel()

        let expected = [-1] + timers.filter { $0.number % 3 == 0 }
            .sorted { ($0.deadline, $0.number) < ($1.deadline, $1.number) }
            .map(\.number)
        let done = await waitUntil { log.all.count >= expected.count }
        #expect(done)
        try await Task.sleep(for: .milliseconds(100))
        let fired = log.all
        #expect(fired.map(\.number) == expected)
        #expect(fired.allSatisfy { $0.ranAt >= $0.deadline && $0.onLoop })
        timers[0].timer.cancel()
        #expect(log.all.count == expected.count)
        try await group.shutdownGracefully()
    }

    @Test("a deadline already passed fires at once; the queue keeps working after it emptied")
    func pastDeadlineAndReuse() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let queue = EventLoopTimerQueue(eventLoop: loop)
        let log = Log()
        let past = NIODeadline.now() - .seconds(1)
        queue.schedule(at: past) { log.record(1, deadline: past, loop: loop) }
        #expect(await waitUntil { log.all.count == 1 })
        let later = NIODeadline.now() + .milliseconds(30)
        queue.schedule(in: .milliseconds(30)) { log.record(2, deadline: later, loop: loop) }
        #expect(await waitUntil { log.all.count == 2 })
        #expect(log.all.map(\.number) == [1, 2])
        #expect(log.all[1].ranAt >= later)
        try await group.shutdownGracefully()
    }

    @Test("EventLoopTimerQueue.on gives the same queue for the same loop")
    func sharedPerLoop() {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        #expect(EventLoopTimerQueue.on(loop) === EventLoopTimerQueue.on(loop))
        #expect(EventLoopTimerQueue.on(loop).eventLoop === loop)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let other = group.next()
        #expect(EventLoopTimerQueue.on(other) === EventLoopTimerQueue.on(other))
        #expect(EventLoopTimerQueue.on(other).eventLoop === other)
    }

    private func waitUntil(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }
}
