import Logging
import MariaDB
import ServiceLifecycle
import Testing

@Suite("MariaDB: pool life cycle")
struct MariaDBServiceTests {
    @Test("as a Service in a ServiceGroup the pool serves until graceful shutdown, then refuses work")
    func serviceGroup() async throws {
        try await TestServer.withClient(pool: 2) { _, configuration in
            let client = MariaDBClient(configuration: configuration, logger: TestServer.logger)
            let group = ServiceGroup(services: [client], gracefulShutdownSignals: [], cancellationSignals: [], logger: TestServer.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await client.query("SELECT 1 AS one").rows.first?["one"] == .integer(1))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let error = await #expect(throws: MariaDBError.self) { _ = try await client.query("SELECT 1") }
            #expect(error?.message.contains("shut down") == true)
        }
    }

    @Test("a connection handed back inside an open transaction is discarded, and the server rolls that work back")
    func openTransactionNotReused() async throws {
        try await TestServer.withClient(pool: 1) { client, _ in
            _ = try await client.query("CREATE TABLE t (v INT) ENGINE=InnoDB")
            let first = try await client.withConnection { connection in
                try await connection.beginTransaction()
                _ = try await connection.query("INSERT INTO t VALUES (?)", [.integer(1)])
                return try await connection.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]
            }
            let second = try await client.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]
            #expect(first != second)
            #expect(try await client.query("SELECT COUNT(*) AS n FROM t").rows.first?["n"]?.int64 == 0)
        }
    }

    @Test("a caller cancelled while waiting for a connection stops waiting, and the pool carries on")
    func cancelledWaiter() async throws {
        try await TestServer.withClient(pool: 1) { client, _ in
            let (held, release) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await client.withConnection { _ in
                    for await _ in held { break }
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            let waiter = Task { try await client.query("SELECT 1 AS one") }
            try await Task.sleep(for: .milliseconds(100))
            waiter.cancel()
            let start = ContinuousClock.now
            await #expect(throws: CancellationError.self) { _ = try await waiter.value }
            #expect(ContinuousClock.now - start < .seconds(5))
            release.yield()
            try await holder.value
            #expect(try await client.query("SELECT 1 AS one").rows.first?["one"] == .integer(1))
        }
    }
}
