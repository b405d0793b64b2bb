import ChatTestSupport
import Logging
import MariaDB
import SQLKit
import SQLKitBenchmark
import XCTest

/// SQLKit's own driver benchmark, as sqlite-kit runs it: schema building, codable models, enums, upserts, unions
/// and JSON paths against a real server.
final class SQLKitBenchmarkTests: XCTestCase {
    func testSQLKitBenchmark() async throws {
        guard MySQLTestServer.url != nil else { throw XCTSkip(MySQLTestServer.skipMessage) }
        try await MySQLTestServer.withScratchDatabase { url in
            var configuration = try MariaDBConfiguration(url: url)
            configuration.sessionSetup.append("SET SESSION time_zone = '+00:00'")
            var logger = Logger(label: "sqlkit-benchmark")
            logger.logLevel = .warning
            let client = MariaDBClient(configuration: configuration, logger: logger)
            do {
                try await SQLBenchmarker(on: client.sql(logger: logger)).runAllTests()
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    func testSQLKitOverOneSession() async throws {
        guard MySQLTestServer.url != nil else { throw XCTSkip(MySQLTestServer.skipMessage) }
        try await MySQLTestServer.withScratchDatabase { url in
            let client = MariaDBClient(configuration: try MariaDBConfiguration(url: url), logger: Logger(label: "sqlkit-session"))
            let db = client.sql()
            try await db.create(table: "kv").column("k", type: .custom(SQLRaw("VARCHAR(20)")), .primaryKey(autoIncrement: false))
                .column("v", type: .text).run()
            // A session keeps a temporary table (which only its own connection sees) across statements.
            let seen = try await db.withSession { session in
                try await session.raw("CREATE TEMPORARY TABLE tmp (x INT)").run()
                try await session.raw("INSERT INTO tmp (x) VALUES (\(bind: 7))").run()
                return try await session.raw("SELECT x FROM tmp").first(decodingColumn: "x", as: Int.self)
            }
            XCTAssertEqual(seen, 7)
            struct KV: Codable, Equatable { var k: String; var v: String? }
            try await db.insert(into: "kv").models([KV(k: "a", v: "🦊"), KV(k: "b", v: nil)], nilEncodingStrategy: .asNil).run()
            let rows = try await db.select().columns("k", "v").from("kv").orderBy("k").all(decoding: KV.self)
            XCTAssertEqual(rows, [KV(k: "a", v: "🦊"), KV(k: "b", v: nil)])
            await client.shutdown()
        }
    }
}
