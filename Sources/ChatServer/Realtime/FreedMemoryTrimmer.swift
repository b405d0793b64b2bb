import ChatCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives the memory of closed connections back to the system after a wave of disconnects.
///
/// glibc's malloc keeps freed memory for reuse: after thousands of sockets close, the server's RSS stays at its peak
/// (the freed chunks are spread over the heap and the per-thread arenas, so the heap's top rarely becomes free and
/// nothing is returned by itself). `malloc_trim(0)` returns every free page of every arena. It walks the whole heap,
/// so it runs once per wave, on a background thread (the bcrypt pool's rescue thread, at nice 10: not its
/// `SCHED_IDLE` threads, which could be starved while holding malloc's locks), once the wave is over.
final class FreedMemoryTrimmer: Sendable {
    /// Disconnects that make a wave.
    static let wave = 1_000
    /// How long without a disconnect ends a wave.
    static let delay: Duration = .milliseconds(500)

    private let pool: SpareTimePool
    /// When connection state recovery keeps dropped sockets' sessions, they are freed only as their window ends
    /// (`SocketIOMemoryRecoveryStore` sweeps them then): a second trim follows after this long.
    private let retainedFor: Duration?
    private let state = Mutex(State())

    private struct State {
        var closedSinceTrim = 0
        var scheduled = false
    }

    init(pool: SpareTimePool, retainedFor: Duration? = nil) {
        self.pool = pool
        self.retainedFor = retainedFor
    }

    /// Counts a closed socket; the `wave`-th since the last trim schedules the next one.
    func socketClosed() {
        let schedule = state.withLock { state -> Bool in
            state.closedSinceTrim += 1
            guard state.closedSinceTrim >= Self.wave, !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        guard schedule else { return }
        Task {
            // Waits for the wave to end (no disconnect for `delay`), so that one trim covers all of it.
            var seen = -1
            while true {
                try? await Task.sleep(for: Self.delay)
                let now = state.withLock { $0.closedSinceTrim }
                if now == seen { break }
                seen = now
            }
            state.withLock { state in
                state.closedSinceTrim = 0
                state.scheduled = false
            }
            pool.runInBackground { Self.trim() }
            guard let retainedFor else { return }
            // Just past the window of the wave's last session (the sweep runs 50 ms after it).
            try? await Task.sleep(for: retainedFor + .seconds(1))
            pool.runInBackground { Self.trim() }
        }
    }

    /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not include `malloc.h`, and another C
    /// library (musl) may not have it.
    private static func trim() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        // nil is RTLD_DEFAULT.
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
