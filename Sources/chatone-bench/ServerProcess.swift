import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A `chatone serve` the bench started itself, on a fresh SQLite file in a temporary directory.
final class ServerProcess {
    let process: Process
    let port: Int
    let directory: URL
    let logFile: URL

    var pid: Int32 { process.processIdentifier }

    private init(process: Process, port: Int, directory: URL, logFile: URL) {
        self.process = process
        self.port = port
        self.directory = directory
        self.logFile = logFile
    }

    /// Starts the server and waits until `GET /healthz` answers 200.
    /// - Parameters:
    ///   - pinToCore: run it under `taskset -c <core>`.
    ///   - bcryptCost: `CHATONE_BCRYPT_COST`; 4 keeps set-up fast, the login storm wants the production 12.
    ///   - databaseURL: `CHATONE_DATABASE_URL`; nil for a fresh SQLite file in the server's directory.
    static func spawn(
        executable: String,
        pinToCore: Int?,
        bcryptCost: Int,
        logLevel: String,
        databaseURL: String? = nil,
        group: any EventLoopGroup
    ) async throws -> ServerProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chatone-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try freePort()
        let process = Process()
        if let core = pinToCore {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", String(core), executable, "serve"]
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["serve"]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["CHATONE_HOST"] = "127.0.0.1"
        environment["CHATONE_PORT"] = String(port)
        environment["CHATONE_DATABASE_URL"] = databaseURL ?? "sqlite://\(directory.path)/bench.sqlite"
        environment["CHATONE_JWT_SECRET"] = environment["CHATONE_JWT_SECRET"] ?? "chatone-bench-secret-0123456789abcdef0123456789"
        environment["CHATONE_BCRYPT_COST"] = String(bcryptCost)
        environment["CHATONE_LOG_LEVEL"] = logLevel
        // The bench is one address opening thousands of sockets for hundreds of users and sending far faster than
        // any person: every rate limit is off, and the per-user socket cap is raised (P2 uses 10 per user).
        for name in [
            "LOGIN_PER_IP", "LOGIN_FAILURES_PER_USERNAME", "REGISTER_PER_IP", "REFRESH_PER_IP", "MESSAGES_PER_USER", "TYPING_PER_USER",
            "READS_PER_USER", "CONVERSATION_CHANGES_PER_USER", "HANDSHAKES_PER_IP",
        ] {
            environment["CHATONE_RATE_\(name)"] = environment["CHATONE_RATE_\(name)"] ?? "off"
        }
        environment["CHATONE_SOCKET_MAX_PENDING"] = environment["CHATONE_SOCKET_MAX_PENDING"] ?? "100000"
        environment["CHATONE_BCRYPT_QUEUE"] = environment["CHATONE_BCRYPT_QUEUE"] ?? "100000"
        // Tokens must outlive the longest run.
        environment["CHATONE_ACCESS_TOKEN_TTL"] = environment["CHATONE_ACCESS_TOKEN_TTL"] ?? "86400"
        process.environment = environment
        let logFile = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = ServerProcess(process: process, port: port, directory: directory, logFile: logFile)

        let deadline = MonotonicClock.now() + 120_000_000_000
        while MonotonicClock.now() < deadline {
            guard process.isRunning else { break }
            if let http = try? await HTTPConnection.connect(host: "127.0.0.1", port: port, group: group) {
                let status = (try? await http.request(.GET, "/healthz"))?.status
                await http.close()
                if status == 200 { return server }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let tail = (try? String(contentsOf: logFile, encoding: .utf8))?.suffix(2000) ?? ""
        server.stop()
        throw BenchError.unexpected("server did not become healthy; its log ends:\n\(tail)")
    }

    /// SIGTERM, then SIGKILL after 10 s; removes the database.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A port nobody listens on now (bound to 0 and released).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError.unexpected("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchError.unexpected("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
