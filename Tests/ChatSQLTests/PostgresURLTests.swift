import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Testing

@Suite("ChatSQL: PostgreSQL URLs and TLS")
struct PostgresURLTests {
    @Test func urlsAreParsedLikeLibpq() throws {
        let url = try PostgresURL(parsing: "postgresql://chat%40one:p%3Ass@db.example:6543/chat_db?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.username == "chat@one")
        #expect(url.password == "p:ss")
        #expect(url.database == "chat_db")
        #expect(url.sslMode == .verifyFull)
        #expect(url.sslRootCert == "/etc/ca.pem")
        let plain = try PostgresURL(parsing: "postgres://chatone@localhost/chatone")
        #expect(plain.port == 5432 && plain.password == nil && plain.sslMode == .prefer)
        #expect(plain.poolSize == 20)
        #expect(try PostgresURL(parsing: "postgres://chatone@localhost/chatone?pool_size=2").poolSize == 2)
        #expect(try DatabaseURL(parsing: "postgres://u:secret@h/db") == .postgres("postgres://u:secret@h/db"))
        #expect(try DatabaseURL(parsing: "postgres://u:secret@h/db").description == "postgres://u:***@h/db")
    }

    @Test(arguments: [
        "postgres://host/db", "postgres://u@/db", "postgres://u@host", "postgres://u@host/", "postgres://u@host/db?sslmode=sometimes",
        "postgres://u@host/db?search_path=x", "postgresql:/nohost", "postgres://u@host/db?pool_size=1", "postgres://u@host/db?pool_size=0",
    ])
    func malformedURLsAreRefusedAtParse(_ text: String) {
        #expect(throws: ChatError.self) { _ = try DatabaseURL(parsing: text) }
    }

    @Test func unreachableServerIsAClearError() async throws {
        // Port 1 on loopback: nothing listens there.
        await #expect {
            _ = try await ChatDatabase.open(.postgres("postgres://u:p@127.0.0.1:1/db?sslmode=disable"), logger: TestBackend.logger)
        } throws: { error in
            let text = String(describing: error)
            return error is DatabaseOpenError && text.contains("127.0.0.1:1") && !text.contains(":p@")
        }
    }

    @Test func wrongPasswordIsAClearErrorWithoutThePassword() async throws {
        try await withServer { base in
            var components = try #require(URLComponents(string: base))
            components.password = "definitely-wrong"
            await #expect {
                _ = try await ChatDatabase.open(.postgres(components.string!), logger: TestBackend.logger)
            } throws: { error in
                let text = String(describing: error)
                return error is DatabaseOpenError && text.contains("password authentication failed") && !text.contains("definitely-wrong")
            }
        }
    }

    /// The test server (scripts/postgres.sh) has a certificate for 127.0.0.1 signed by a throw-away CA.
    @Test func tlsModesConnectAsLibpqWould() async throws {
        try await withServer { base in
            let ca = try #require(ProcessInfo.processInfo.environment["CHATONE_TEST_POSTGRES_CA"], "scripts/test.sh names the test CA")
            for mode in ["require", "verify-ca&sslrootcert=\(ca)", "verify-full&sslrootcert=\(ca)", "disable", "prefer"] {
                let backend = try await ChatDatabase.open(.postgres(base + "?sslmode=" + mode), logger: TestBackend.logger)
                let encrypted = try await backend.read { db in
                    try await db.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first(decodingColumn: "ssl", as: Bool.self)
                }
                await backend.shutdown()
                #expect(encrypted == (mode != "disable"), "sslmode=\(mode)")
            }
            // verify-full against the system's trust store: the throw-away CA is not in it.
            await #expect(throws: (any Error).self) {
                let backend = try await ChatDatabase.open(.postgres(base + "?sslmode=verify-full"), logger: TestBackend.logger)
                await backend.shutdown()
            }
        }
    }

    private func withServer(_ body: (String) async throws -> Void) async throws {
        guard let url = PostgresTestServer.url else {
            Issue.record(Comment(rawValue: PostgresTestServer.skipMessage), severity: .warning)
            try Test.cancel(Comment(rawValue: PostgresTestServer.skipMessage))
        }
        try await body(url)
    }
}
