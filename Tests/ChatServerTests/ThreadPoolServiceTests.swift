import Logging
import ChatCore
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import ChatServer

/// The bcrypt pool's service: the pool works until graceful shutdown, and is stopped by it.
@Suite struct ThreadPoolServiceTests {
    @Test func thePoolRunsUntilGracefulShutdownThenStops() async throws {
        let pool = SpareTimePool(.init(threads: 1))
        pool.start()
        let service = ThreadPoolService(pool: pool, name: "test", logger: Logger(label: "thread-pool-test"))
        try await testGracefulShutdown { shutdown in
            async let running: Void = service.run()
            #expect(try await pool.run { 42 } == 42)
            shutdown.triggerGracefulShutdown()
            try await running
        }
        await #expect(throws: (any Error).self) { _ = try await pool.run { 42 } }
    }
}
