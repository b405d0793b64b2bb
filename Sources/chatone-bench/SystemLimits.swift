import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings a load generator needs before it opens thousands of sockets.
enum SystemLimits {
    /// Raises the soft open-file limit to the hard limit; a spawned server inherits it.
    @discardableResult
    static func raiseOpenFiles() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_cur)
    }

    /// Pins every thread of this process (and the threads it makes later) to `core` with taskset.
    static func pinSelf(to core: Int) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-a", "-p", "-c", String(core), String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }

    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }
}
