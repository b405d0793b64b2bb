import ChatTestSupport
import Foundation
import MariaDB
import Testing

@Suite("MariaDB: client and pool against a real server")
struct MariaDBClientTests {
    @Test("values round-trip through prepared statements: utf8mb4 text, bytes, NULL, integer and float extremes")
    func roundTrip() async throws {
        try await TestServer.withClient { client, _ in
            _ = try await client.query(
                """
                CREATE TABLE t (id BIGINT PRIMARY KEY, s VARCHAR(100), b VARBINARY(100), big LONGTEXT, u BIGINT UNSIGNED, d DOUBLE,
                                n INT NULL, dec_value DECIMAL(10,2), dt DATETIME(6)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
                """)
            let emoji = "héllo 👋🏽 𝄞 — 中文"
            let big = String(repeating: "ab😀", count: 40_000)
            let bytes: [UInt8] = [0, 1, 2, 255, 0, 39, 92]
            let insert = try await client.query(
                "INSERT INTO t (id, s, b, big, u, d, n, dec_value, dt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.integer(Int64.min), .text(emoji), .bytes(bytes), .text(big), .unsignedInteger(UInt64.max), .double(-1.5e300), .null,
                 .text("12345678.91"), .text("2026-11-25 16:43:42.123456")])
            #expect(insert.affectedRows == 1)
            let result = try await client.query("SELECT * FROM t WHERE id = ?", [.integer(Int64.min)])
            let row = try #require(result.rows.first)
            #expect(row["id"] == .integer(Int64.min))
            #expect(row["s"] == .text(emoji))
            #expect(row["b"] == .bytes(bytes))
            #expect(row["big"]?.string == big, "a value longer than its first buffer is fetched whole")
            #expect(row["u"] == .unsignedInteger(UInt64.max))
            #expect(row["d"] == .double(-1.5e300))
            #expect(row["n"] == .null)
            #expect(row["dec_value"] == .text("12345678.91"))
            #expect(row["dt"] == .text("2026-11-25 16:43:42.123456"))
            // The server sees four-byte characters as single characters, so nothing was mangled on the way in.
            let length = try await client.query("SELECT CHAR_LENGTH(s) AS n, HEX(s) = HEX(?) AS same FROM t", [.text(emoji)])
            #expect(length.rows.first?["n"]?.int64 == Int64(emoji.count + 1))  // 👋🏽 is one Character but two code points
            #expect(length.rows.first?["same"]?.int64 == 1)
        }
    }

    @Test("placeholders carry values, never SQL: a quote in a value is just a character")
    func bindsAreNotSQL() async throws {
        try await TestServer.withClient { client, _ in
            _ = try await client.query("CREATE TABLE names (name VARCHAR(50))")
            let evil = "x'); DROP TABLE names; -- \\"
            _ = try await client.query("INSERT INTO names (name) VALUES (?)", [.text(evil)])
            let rows = try await client.query("SELECT name FROM names").rows
            #expect(rows.map { $0["name"]?.string } == [evil])
            // Literals written into SQL text are standard too: a backslash is a character, not an escape.
            let literal = try await client.query("SELECT 'a\\' AS s").rows.first?["s"]?.string
            #expect(literal == "a\\")
            let mismatch = try await #require(throws: MariaDBError.self) { _ = try await client.query("SELECT ?, ?", [.integer(1)]) }
            #expect(mismatch.message.contains("2 placeholders"))
        }
    }

    @Test("server errors keep their MySQL numbers: duplicate key, syntax, foreign key")
    func errors() async throws {
        try await TestServer.withClient { client, _ in
            _ = try await client.query("CREATE TABLE p (id BIGINT PRIMARY KEY, k VARCHAR(10) UNIQUE) ENGINE=InnoDB")
            _ = try await client.query(
                "CREATE TABLE c (id BIGINT PRIMARY KEY, p_id BIGINT NOT NULL, FOREIGN KEY (p_id) REFERENCES p (id)) ENGINE=InnoDB")
            _ = try await client.query("INSERT INTO p VALUES (?, ?)", [.integer(1), .text("a")])
            let duplicate = try await #require(throws: MariaDBError.self) {
                _ = try await client.query("INSERT INTO p VALUES (?, ?)", [.integer(2), .text("a")])
            }
            #expect(duplicate.isDuplicateKey)
            #expect(duplicate.code == 1062)
            let syntax = try await #require(throws: MariaDBError.self) { _ = try await client.query("SELEC 1") }
            #expect(syntax.isSyntaxError)
            #expect(syntax.phase == .prepare)
            let foreign = try await #require(throws: MariaDBError.self) {
                _ = try await client.query("INSERT INTO c VALUES (?, ?)", [.integer(1), .integer(99)])
            }
            #expect(foreign.isForeignKeyViolation)
            // The pool is still healthy after errors.
            #expect(try await client.query("SELECT COUNT(*) AS n FROM p").rows.first?["n"]?.int64 == 1)
        }
    }

    @Test("transactions commit on return and roll back on throw, on one connection")
    func transactions() async throws {
        try await TestServer.withClient { client, _ in
            _ = try await client.query("CREATE TABLE t (v INT) ENGINE=InnoDB")
            let connectionIDs = try await client.withTransaction { connection in
                let first = try await connection.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]
                _ = try await connection.query("INSERT INTO t VALUES (?)", [.integer(1)])
                let second = try await connection.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]
                return [first, second]
            }
            #expect(connectionIDs[0] == connectionIDs[1])
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await client.withTransaction { connection in
                    _ = try await connection.query("INSERT INTO t VALUES (?)", [.integer(2)])
                    throw Boom()
                }
            }
            #expect(try await client.query("SELECT v FROM t").rows.map { $0["v"]?.int64 } == [1])
        }
    }

    @Test("a repeated statement is prepared once per connection, and follows schema changes")
    func statementCache() async throws {
        try await TestServer.withClient(pool: 1) { client, _ in
            _ = try await client.query("CREATE TABLE t (a INT) ENGINE=InnoDB")
            _ = try await client.query("INSERT INTO t (a) VALUES (?)", [.integer(1)])
            let prepares = try await client.withConnection { connection in
                let before = try await connection.query("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'").rows.first?["Value"]?.int64 ?? -1
                for _ in 0..<5 { _ = try await connection.query("SELECT a FROM t WHERE a = ?", [.integer(1)]) }
                let after = try await connection.query("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'").rows.first?["Value"]?.int64 ?? -1
                return after - before
            }
            // The first SHOW counted its own prepare; the SELECT is prepared once; the second SHOW comes from the cache.
            #expect(prepares == 1, "prepared \(prepares) times")
            #expect(try await client.query("SELECT * FROM t WHERE a = ?", [.integer(1)]).rows.first?.columns.names == ["a"])
            _ = try await client.query("ALTER TABLE t ADD COLUMN b VARCHAR(10) DEFAULT 'x'")
            let row = try #require(try await client.query("SELECT * FROM t WHERE a = ?", [.integer(1)]).rows.first)
            #expect(row.columns.names == ["a", "b"])
            #expect(row["b"] == .text("x"))
        }
    }

    @Test("connections work in parallel: five one-second sleeps on a pool of five take about one second")
    func parallel() async throws {
        try await TestServer.withClient(pool: 5) { client, _ in
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { _ = try await client.query("SELECT SLEEP(1) AS s") } }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            // One after another they would take five seconds; the margin is for a loaded machine.
            #expect(elapsed < .seconds(4), "took \(elapsed)")
            // More callers than connections wait their turn rather than fail.
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<40 { group.addTask { try await client.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]?.int64 ?? 0 } }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(ids.count <= 5)
        }
    }

    @Test("a connection the server dropped while idle is replaced, and the statement runs on a new one")
    func droppedIdleConnection() async throws {
        try await TestServer.withClient(pool: 1) { client, configuration in
            let before = try #require(try await client.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]?.int64)
            let killer = MariaDBClient(configuration: configuration, logger: TestServer.logger)
            _ = try await killer.query("KILL ?", [.integer(before)])
            await killer.shutdown()
            // KILL returns before the victim's socket is closed; give the server a moment, as time would in real life.
            try await Task.sleep(for: .milliseconds(200))
            let after = try #require(try await client.query("SELECT CONNECTION_ID() AS id").rows.first?["id"]?.int64)
            #expect(after != before)
        }
    }

    @Test("a connection lost in the middle of a transaction is reported, not silently retried")
    func droppedInTransaction() async throws {
        try await TestServer.withClient(pool: 1) { client, configuration in
            _ = try await client.query("CREATE TABLE t (v INT) ENGINE=InnoDB")
            let killer = MariaDBClient(configuration: configuration, logger: TestServer.logger)
            let error = await #expect(throws: MariaDBError.self) {
                try await client.withTransaction { connection in
                    _ = try await connection.query("INSERT INTO t VALUES (?)", [.integer(1)])
                    let id = try await connection.query("SELECT CONNECTION_ID() AS id").rows.first?["id"] ?? .null
                    _ = try await killer.query("KILL ?", [id])
                    _ = try await connection.query("INSERT INTO t VALUES (?)", [.integer(2)])
                }
            }
            await killer.shutdown()
            #expect(error?.isConnectionLost == true)
            #expect(try await client.query("SELECT COUNT(*) AS n FROM t").rows.first?["n"]?.int64 == 0)
        }
    }

    @Test("a read timeout ends a statement that takes too long, and the pool recovers")
    func readTimeout() async throws {
        try await TestServer.withClient(pool: 1, options: "?read_timeout=1") { client, _ in
            let start = ContinuousClock.now
            let error = await #expect(throws: MariaDBError.self) { _ = try await client.query("SELECT SLEEP(5) AS s") }
            #expect(ContinuousClock.now - start < .seconds(4))
            #expect(error?.isConnectionLost == true)
            let afterwards = try await client.query("SELECT 1 AS one").rows.first?["one"]?.int64
            #expect(afterwards == 1)
        }
    }

    @Test("a Unix socket can replace TCP (socket= in the URL)")
    func unixSocket() async throws {
        try await TestServer.withClient(pool: 1) { client, base in
            let path = try #require(try await client.query("SELECT @@socket AS path").rows.first?["path"]?.string)
            var configuration = base
            configuration.unixSocket = path
            configuration.host = "203.0.113.1"  // unroutable: only the socket can work
            let viaSocket = MariaDBClient(configuration: configuration, logger: TestServer.logger)
            let rows = try await viaSocket.query("SELECT 1 AS one").rows
            await viaSocket.shutdown()
            #expect(rows.first?["one"] == .integer(1))
        }
    }

    @Test("a wrong password fails at connect with the server's access-denied error")
    func wrongPassword() async throws {
        guard let url = MySQLTestServer.url else { try Test.cancel(Comment(rawValue: MySQLTestServer.skipMessage)) }
        var configuration = try MariaDBConfiguration(url: url)
        configuration.password = "definitely-wrong"
        let client = MariaDBClient(configuration: configuration, logger: TestServer.logger)
        let error = await #expect(throws: MariaDBError.self) { _ = try await client.query("SELECT 1") }
        await client.shutdown()
        #expect(error?.code == 1045)
        #expect(error?.phase == .connect)
    }
}
