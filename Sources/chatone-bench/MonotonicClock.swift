#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanoseconds on the monotonic clock; cheap enough to read twice per message.
enum MonotonicClock {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Sleeps until `deadline` (nanoseconds on this clock); returns at once when it has passed.
    static func sleep(until deadline: UInt64) async throws {
        let current = now()
        if deadline > current { try await Task.sleep(nanoseconds: deadline - current) }
    }

    static func seconds(since start: UInt64) -> Double { Double(now() &- start) / 1e9 }
}
