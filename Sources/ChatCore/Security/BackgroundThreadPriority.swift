#if canImport(Glibc)
import Glibc
#endif

/// Moves the calling thread below everything else on the machine (Linux `SCHED_IDLE`, and `nice` 10 where that is
/// refused), for CPU-heavy work that must not take the core from request handling: bcrypt.
///
/// A login at cost 12 is a quarter of a second of CPU. At normal priority a handful of them share the core equally
/// with the event loops, and every message waits. At nice 10 the event loops get about ten times bcrypt's share, but
/// with messaging at half its maximum rate and a login storm beside it, message p50 still doubled (1.7–1.9 → 3.8–4.5
/// ms; docs/performance.md, P5). As `SCHED_IDLE` a hash runs only when nothing else wants the core, and a waking event
/// loop takes the core from it at once: the p50 stayed where it was without the storm. The price: on a core that is
/// busy all the time, logins wait until it is not, and beyond the bcrypt queue's bound they are refused with 429
/// rather than queued (docs/security.md). Only the calling thread changes (Linux applies both calls to a thread
/// id), and the bcrypt pool's threads do nothing else. Elsewhere, and where the thread id cannot be read, this does
/// nothing.
enum BackgroundThreadPriority {
    static let niceness: Int32 = 10
    /// `SCHED_IDLE` from <linux/sched.h>; Glibc's module leaves it out (it is behind `_GNU_SOURCE`).
    static let idlePolicy: Int32 = 5

    static func lowerCurrentThread() {
        #if os(Linux)
        guard let tid = currentThreadID() else { return }
        // The nice value first: it is what remains if the kernel refuses the idle policy.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), niceness)
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(tid, idlePolicy, &parameters)
        #endif
    }

    #if os(Linux)
    /// The kernel's id of the calling thread (`/proc/thread-self` links to `<pid>/task/<tid>`); Swift cannot call
    /// the variadic `syscall(SYS_gettid)`.
    private static func currentThreadID() -> Int32? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return link.split(separator: "/").last.flatMap { Int32($0) }
    }
    #endif
}
