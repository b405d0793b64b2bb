import Metrics
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs CPU-heavy jobs (bcrypt) in the core's spare time, and never lets them stall for want of it.
///
/// The pool's threads run as Linux `SCHED_IDLE`: any request-handling thread that wakes takes the core from them
/// at once, so a login storm leaves message latency where it was (at nice 10 a hash keeps the core until its slice
/// ends, and the storm doubled the message p50). Spare time alone can run out, though: on a core kept busy by other
/// work (a saturated node, a database on the same host) a `SCHED_IDLE` thread gets about 0.3% of it, and a login
/// would take minutes. So a watch, while any job is unfinished, reads how much CPU the spare-time threads got: when
/// it stays under `starvedShare` of one core for a whole `checkInterval`, the oldest unfinished job is run again on
/// a **rescue thread** at nice 10 (about a tenth of a busy core) and whichever run finishes first answers. Logins are
/// then slowed, never stopped. An unprivileged thread cannot leave `SCHED_IDLE` (that needs `RLIMIT_NICE`), hence a
/// thread of its own for the rescue rather than raising a stuck one.
///
/// Elsewhere than Linux the threads keep their normal priority and nothing is ever starved or rescued.
public final class SpareTimePool: Sendable {
    public struct Configuration: Sendable {
        /// Spare-time threads.
        public var threads: Int
        /// How often the watch reads the threads' CPU time while a job is unfinished.
        public var checkInterval: Duration
        /// Under this share of one core over an interval (with a job unfinished), the threads count as starved.
        /// 0: they never do, and nothing is rescued.
        public var starvedShare: Double

        public init(threads: Int, checkInterval: Duration = .seconds(1), starvedShare: Double = 0.02) {
            self.threads = max(1, threads)
            self.checkInterval = checkInterval
            self.starvedShare = starvedShare
        }
    }

    public let configuration: Configuration
    private let spareThreads: NIOThreadPool
    /// One thread at nice 10: rescued jobs, and background work that takes locks request handling needs (a
    /// malloc trim must not be starved while holding malloc's locks).
    private let rescuePool: NIOThreadPool
    private let state = Mutex(State())
    private let rescueCounter: Counter?

    private struct State {
        var unfinished: [Entry] = []
        var nextID = 0
        /// The spare-time threads' CPU clocks, added as each thread runs its first job.
        var clocks: [clockid_t] = []
        var watching = false
        var rescuing = 0
        var rescued = 0
    }

    private struct Entry {
        let id: Int
        let job: any SpareTimeJob
        var rescued = false
    }

    /// - Parameter rescueCounter: counts each rescue (`chatone_bcrypt_rescues_total`).
    public init(_ configuration: Configuration, rescueCounter: Counter? = nil) {
        self.configuration = configuration
        self.rescueCounter = rescueCounter
        self.spareThreads = NIOThreadPool(numberOfThreads: configuration.threads)
        self.rescuePool = NIOThreadPool(numberOfThreads: 1)
    }

    public func start() {
        spareThreads.start()
        rescuePool.start()
    }

    public func shutdownGracefully() async throws {
        try await spareThreads.shutdownGracefully()
        try await rescuePool.shutdownGracefully()
    }

    /// Runs `body` on the rescue thread at nice 10 (low priority, never starved), after any rescue in progress.
    public func runInBackground(_ body: @escaping @Sendable () -> Void) {
        rescuePool.submit { workState in
            guard workState == .active else { return }
            BackgroundThreadPriority.lowerCurrentThread()
            body()
        }
    }

    /// Jobs handed to the rescue thread so far.
    public var rescuedCount: Int { state.withLock { $0.rescued } }

    /// Runs `work` on a spare-time thread (or, if those are starved, also on the rescue thread) and returns the
    /// first result. Throws if the pool has been shut down.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let job = Job(work)
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        defer { state.withLock { $0.unfinished.removeAll { $0.id == id } } }
        return try await withCheckedThrowingContinuation { continuation in
            // Attached before the watch can see the job, so a rescue always has someone to answer.
            job.attach(continuation)
            let startWatch = state.withLock { state -> Bool in
                state.unfinished.append(Entry(id: id, job: job))
                let start = !state.watching
                state.watching = true
                return start
            }
            if startWatch { Task { await self.watch() } }
            spareThreads.submit { workState in
                guard workState == .active else {
                    job.finish(.failure(NIOThreadPoolError.ThreadPoolInactive()))
                    return
                }
                self.enterSpareTime()
                job.perform()
            }
        }
    }

    /// Called on a spare-time thread before each job: lowers it to `SCHED_IDLE` (idempotent) and records its clock.
    private func enterSpareTime() {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        // SCHED_IDLE is 5 in <linux/sched.h>; Glibc's module map does not export the constant.
        _ = sched_setscheduler(0, 5, &parameters)
        var clock = clockid_t()
        guard pthread_getcpuclockid(pthread_self(), &clock) == 0 else { return }
        state.withLock { state in
            if !state.clocks.contains(clock) { state.clocks.append(clock) }
        }
        #endif
    }

    /// While any job is unfinished: every `checkInterval`, rescue the oldest unrescued one if the spare-time threads
    /// were starved over the interval.
    private func watch() async {
        var lastCPU = spareCPUTime()
        while true {
            try? await Task.sleep(for: configuration.checkInterval)
            let cpu = spareCPUTime()
            var starved = false
            if let cpu, let lastCPU {
                starved = cpu - lastCPU < configuration.checkInterval * configuration.starvedShare
            }
            lastCPU = cpu
            switch nextStep(starved: starved) {
            case .stop:
                return
            case .wait:
                continue
            case .rescue(let job):
                rescueCounter?.increment()
                rescuePool.submit { workState in
                    if workState == .active {
                        BackgroundThreadPriority.lowerCurrentThread()
                        job.perform()
                    }
                    self.state.withLock { $0.rescuing -= 1 }
                }
            }
        }
    }

    private enum WatchStep {
        case stop
        case wait
        case rescue(any SpareTimeJob)
    }

    /// Stops the watch when nothing is unfinished (in the same lock `run` starts one under), else picks the oldest
    /// job not yet rescued if the threads were starved and the rescue thread is free.
    private func nextStep(starved: Bool) -> WatchStep {
        state.withLock { state in
            guard !state.unfinished.isEmpty else {
                state.watching = false
                return .stop
            }
            guard starved, state.rescuing == 0,
                let index = state.unfinished.firstIndex(where: { !$0.rescued && !$0.job.isFinished })
            else { return .wait }
            state.unfinished[index].rescued = true
            state.rescuing += 1
            state.rescued += 1
            return .rescue(state.unfinished[index].job)
        }
    }

    /// CPU time the spare-time threads have had so far, summed; nil where thread CPU clocks cannot be read.
    private func spareCPUTime() -> Duration? {
        #if os(Linux)
        let clocks = state.withLock { $0.clocks }
        var total = Duration.zero
        for clock in clocks {
            var time = timespec()
            if clock_gettime(clock, &time) == 0 {
                total += .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
            }
        }
        return total
        #else
        return nil
        #endif
    }
}

/// A job as the watch sees it, whatever it returns.
private protocol SpareTimeJob: Sendable {
    var isFinished: Bool { get }
    func perform()
}

/// One job: its work and the caller waiting for the first result. It may run twice (spare time and rescue); the
/// second result is dropped.
private final class Job<T: Sendable>: SpareTimeJob {
    private let work: @Sendable () -> T
    /// Set before the job can run; nil again once answered.
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    init(_ work: @escaping @Sendable () -> T) {
        self.work = work
    }

    var isFinished: Bool { continuation.withLock { $0 == nil } }

    func attach(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func perform() {
        guard !isFinished else { return }
        finish(.success(work()))
    }

    func finish(_ result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}
