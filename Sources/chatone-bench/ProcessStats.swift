import Foundation

/// One reading of a process from /proc: resident memory, CPU time and context switches summed over its threads.
struct ProcessStats: Sendable {
    var residentBytes: Int
    var cpuSeconds: Double
    var voluntarySwitches: Int
    var involuntarySwitches: Int
    /// Open file descriptors (sockets included).
    var openFiles: Int
    var taken: UInt64

    var contextSwitches: Int { voluntarySwitches + involuntarySwitches }

    /// Nil when the pid is unknown or /proc cannot be read (not Linux).
    static func read(pid: Int32?) -> ProcessStats? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return nil }
        var stats = ProcessStats(
            residentBytes: field("VmRSS:", in: status) * 1024,
            cpuSeconds: 0,
            voluntarySwitches: 0,
            involuntarySwitches: 0,
            openFiles: (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0,
            taken: MonotonicClock.now()
        )
        // Fields after the command name, which may contain spaces: state is field 3, utime 14, stime 15.
        if let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                stats.cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        // The process's status counts only its main thread; every thread has its own.
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else { continue }
            stats.voluntarySwitches += field("voluntary_ctxt_switches:", in: text)
            stats.involuntarySwitches += field("nonvoluntary_ctxt_switches:", in: text)
        }
        return stats
    }

    private static func field(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
        }
        return 0
    }

    var mib: String { fmt(Double(residentBytes) / 1_048_576, 1) + " MiB" }
}

/// The server's use of CPU and context switches between two readings.
struct ProcessDelta: Sendable {
    var cpuPercent: Double
    var contextSwitches: Int

    init?(from start: ProcessStats?, to end: ProcessStats?) {
        guard let start, let end else { return nil }
        let wall = Double(end.taken &- start.taken) / 1e9
        cpuPercent = wall > 0 ? (end.cpuSeconds - start.cpuSeconds) / wall * 100 : 0
        contextSwitches = end.contextSwitches - start.contextSwitches
    }
}
