import Foundation

/// The process's resident memory and file descriptors, read from `/proc/self` (Linux). Elsewhere each is `nil`,
/// and the gauge is simply not updated.
struct ProcessStats {
    var residentBytes: Int?
    var openFDs: Int?
    var maxFDs: Int?

    static func read() -> ProcessStats {
        ProcessStats(residentBytes: residentBytes(), openFDs: openFDs(), maxFDs: maxFDs())
    }

    /// `/proc/self/statm`'s second field is the resident set in pages.
    private static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func openFDs() -> Int? {
        // The listing itself holds one descriptor open while it runs; it is not the process's own.
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return max(0, entries.count - 1)
    }

    private static func maxFDs() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        #else
        guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return nil }
        #endif
        // RLIM_INFINITY is all bits set.
        return limit.rlim_cur == rlim_t.max ? nil : Int(clamping: limit.rlim_cur)
    }
}
