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
}
