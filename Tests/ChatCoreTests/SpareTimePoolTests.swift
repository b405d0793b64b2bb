import ChatCore
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// bcrypt's pool runs jobs as `SCHED_IDLE` (in the core's spare time) and rescues a starved job on a nice-10 thread.
///
/// The starvation cases pin two busy threads at normal priority and the pool's threads to one CPU, which is how a
/// saturated core looks to a `SCHED_IDLE` thread (it then gets about 0.15% of it).
@Suite("ChatCore: bcrypt runs in the core's spare time", .serialized)
struct SpareTimePoolTests {
    #if os(Linux)
    @Test("a job runs on a SCHED_IDLE thread; background work runs at nice 10")
    func policies() async throws {
        let pool = SpareTimePool(.init(threads: 1, starvedShare: 0))
        pool.start()
        #expect(try await pool.run { CPUControl.ownPolicy() } == CPUControl.schedIdle)
        let nice = await withCheckedContinuation { continuation in
            pool.runInBackground { continuation.resume(returning: CPUControl.ownNice()) }
        }
        #expect(nice == 10)
        #expect(pool.rescuedCount == 0)
        try await pool.shutdownGracefully()
    }

    @Test("with the core kept busy, a job waits on its SCHED_IDLE thread while rescue is off")
    func starvedWithoutRescue() async throws {
        let cpu = try #require(CPUControl.firstAllowedCPU())
        let spinners = Spinners(count: 2, cpu: cpu)
        let pool = SpareTimePool(.init(threads: 1, checkInterval: .milliseconds(100), starvedShare: 0))
        pool.start()
        let finished = Flag()
        async let policy = pool.run {
            CPUControl.pin(to: cpu)
            CPUControl.burn(.milliseconds(30))
            finished.set()
            return CPUControl.ownPolicy()
        }
        try await Task.sleep(for: .seconds(2))
        // 30 ms of CPU at ~0.15% of a core is ~20 s: two seconds on, it has not finished.
        #expect(!finished.isSet)
        #expect(pool.rescuedCount == 0)
        spinners.stop()
        #expect(try await policy == CPUControl.schedIdle)
        try await pool.shutdownGracefully()
    }

    @Test("with the core kept busy, a starved job is rescued at nice 10 and answers within seconds")
    func starvedJobIsRescued() async throws {
        let cpu = try #require(CPUControl.firstAllowedCPU())
        let spinners = Spinners(count: 2, cpu: cpu)
        let pool = SpareTimePool(.init(threads: 1, checkInterval: .milliseconds(100)))
        pool.start()
        let started = ContinuousClock.now
        let policy = try await pool.run {
            CPUControl.pin(to: cpu)
            CPUControl.burn(.milliseconds(30))
            return CPUControl.ownPolicy()
        }
        let took = ContinuousClock.now - started
        spinners.stop()
        // The rescue thread (SCHED_OTHER at nice 10, ~5% of the core beside two busy threads) answered, in about
        // 0.1 s of watching plus 0.6 s of running; starved, it would have taken ~20 s.
        #expect(policy == CPUControl.schedOther)
        #expect(pool.rescuedCount == 1)
        #expect(took < .seconds(8))
        try await pool.shutdownGracefully()
    }
    #endif
}

#if os(Linux)
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// Busy threads at normal priority on one CPU, until stopped.
private final class Spinners: Sendable {
    private let running = Atomic<Bool>(true)

    init(count: Int, cpu: Int) {
        for _ in 0..<count {
            Thread.detachNewThread { [self] in
                CPUControl.pin(to: cpu)
                while running.load(ordering: .relaxed) {}
            }
        }
    }

    func stop() { running.store(false, ordering: .relaxed) }

    deinit { running.store(false, ordering: .relaxed) }
}

/// Scheduling calls for the tests; `sched_{get,set}affinity` are looked up at run time because Swift's Glibc module
/// leaves out the GNU parts of <sched.h>.
private enum CPUControl {
    static let schedOther: Int32 = 0
    static let schedIdle: Int32 = 5
    private static let setBytes = 128

    private typealias Affinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32

    private static func affinityCall(_ name: String) -> Affinity? {
        dlsym(nil, name).map { unsafeBitCast($0, to: Affinity.self) }
    }

    static func firstAllowedCPU() -> Int? {
        guard let get = affinityCall("sched_getaffinity") else { return nil }
        var bytes = [UInt8](repeating: 0, count: setBytes)
        guard bytes.withUnsafeMutableBytes({ get(0, setBytes, $0.baseAddress!) }) == 0 else { return nil }
        return (0..<(setBytes * 8)).first { bytes[$0 / 8] & (1 << ($0 % 8)) != 0 }
    }

    /// Pins the calling thread to `cpu`.
    static func pin(to cpu: Int) {
        guard let set = affinityCall("sched_setaffinity") else { return }
        var bytes = [UInt8](repeating: 0, count: setBytes)
        bytes[cpu / 8] |= 1 << (cpu % 8)
        _ = bytes.withUnsafeMutableBytes { set(0, setBytes, $0.baseAddress!) }
    }

    /// Spins until the calling thread has used `amount` of CPU time.
    static func burn(_ amount: Duration) {
        var start = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        let startNanos = Int64(start.tv_sec) * 1_000_000_000 + Int64(start.tv_nsec)
        let needed = amount.components.seconds * 1_000_000_000 + amount.components.attoseconds / 1_000_000_000
        while true {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            if Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - startNanos >= needed { return }
        }
    }

    static func ownPolicy() -> Int32 { sched_getscheduler(0) }

    /// The `nice` of the calling thread, from /proc/thread-self/stat (field 19).
    static func ownNice() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)
        else { return nil }
        // Fields after the command name start at field 3; nice is field 19.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }
}
#endif
