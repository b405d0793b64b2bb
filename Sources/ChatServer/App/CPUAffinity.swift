import Foundation
import NIOCore
import NIOPosix

/// The cores this process may run on, as `taskset` or `sched_setaffinity` set them.
///
/// NIO sizes its event-loop group from the machine's cores and its cgroup limits, not from the affinity mask, so a
/// server pinned to one core of two ran two event loops on that core: every connection on the other loop cost a
/// thread switch per message for no parallelism (docs/performance.md, "P1: CPU per message"). The bcrypt pool is
/// sized from it too.
public enum CPUAffinity {
    /// How many cores the mask allows; nil where it cannot be read (not Linux).
    ///
    /// Read from `/proc/self/status` (`Cpus_allowed`, a hex mask in comma-separated 32-bit words): glibc's
    /// `sched_getaffinity` is not visible to Swift without `_GNU_SOURCE`.
    public static var allowedCores: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && !character.isWhitespace {
            guard let nibble = character.hexDigitValue else { return nil }
            count += nibble.nonzeroBitCount
        }
        return count > 0 ? count : nil
    }

    /// The cores this process can use: the machine's (as NIO counts them, cgroup limits included), or fewer if the
    /// affinity mask allows fewer.
    public static var usableCores: Int {
        max(1, min(System.coreCount, allowedCores ?? System.coreCount))
    }

    /// Sizes NIO's shared event-loop group to the allowed cores when they are fewer than NIO would use. Must run
    /// before anything touches `MultiThreadedEventLoopGroup.singleton`.
    public static func fitEventLoopsToAllowedCores() {
        let usable = usableCores
        guard usable < System.coreCount else { return }
        NIOSingletons.groupLoopCountSuggestion = usable
    }
}
