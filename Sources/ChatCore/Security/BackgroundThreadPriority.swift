#if canImport(Glibc)
import Glibc
#endif

/// Lowers the calling thread's scheduling priority (Linux `nice` 10), for background work that must not take the
/// core from request handling but must not be starved either: the bcrypt pool's rescue thread (``SpareTimePool``),
/// which runs hashes the spare-time threads got no CPU for, and the malloc trim.
///
/// A login at cost 12 is a quarter of a second of CPU. At normal priority a handful of them share the core equally
/// with the event loops, and every message waits; at nice 10 the kernel gives the event loops about ten times
/// the share. Only the calling thread changes (Linux applies `setpriority` to a thread id), and the rescue thread
/// does nothing else. Elsewhere, and where the thread id cannot be read, this does nothing.
enum BackgroundThreadPriority {
    static let niceness: Int32 = 10

    static func lowerCurrentThread() {
        #if os(Linux)
        guard let tid = currentThreadID() else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), niceness)
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
