#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import SocketIO

@Suite("Idle HTTP connections are closed by the server builder's idleTimeout")
struct IdleTimeoutTests {
    /// Runs a live application whose server is `.socketIO(io, idleTimeout:)`.
    func withServer(idleTimeout: Duration?, _ body: @Sendable (Int) async throws -> Void) async throws {
        let io = SocketIOServer(configuration: .init(pingInterval: .seconds(5), pingTimeout: .seconds(5)))
        let router = Router()
        io.addRoutes(to: router)
        var logger = Logger(label: "socketio-idle-tests")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .socketIO(io, idleTimeout: idleTimeout),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: [io],
            logger: logger
        )
        try await app.test(.live) { client in try await body(client.port!) }
    }

    /// Connects a plain blocking socket, optionally sends `bytes`, then waits up to `wait` for the
    /// server to close it. Returns the seconds until the close, or nil if it stayed open.
    func secondsUntilClosed(port: Int, sending bytes: String = "", wait: Double) throws -> Double? {
        let fd = try connectLoopback(port: port, receiveTimeout: wait)
        defer { close(fd) }
        let payload = Array(bytes.utf8)
        if !payload.isEmpty {
            guard send(fd, payload, payload.count, 0) == payload.count else { throw TestFailure("send() failed") }
        }
        let start = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { continue }  // a response; keep reading until the close
            if count == 0 || errno == ECONNRESET {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            return nil  // receive timeout: still open
        }
    }

    @Test("a connection that sends nothing is closed after idleTimeout")
    func silentConnectionClosed() async throws {
        try await withServer(idleTimeout: .milliseconds(500)) { port in
            let elapsed = try #require(try secondsUntilClosed(port: port, wait: 10))
            #expect(elapsed >= 0.4 && elapsed < 8, "closed after \(elapsed) s")
        }
    }

    @Test("a keep-alive connection idle after its request is closed after idleTimeout")
    func keepAliveIdleClosed() async throws {
        try await withServer(idleTimeout: .milliseconds(500)) { port in
            let request = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let elapsed = try #require(try secondsUntilClosed(port: port, sending: request, wait: 10))
            #expect(elapsed >= 0.4 && elapsed < 8, "closed after \(elapsed) s")
        }
    }

    @Test("idleTimeout nil keeps a silent connection open")
    func turnedOff() async throws {
        try await withServer(idleTimeout: nil) { port in
            let elapsed = try secondsUntilClosed(port: port, wait: 1.5)
            #expect(elapsed == nil)
        }
    }
}
