import Foundation
import MariaDB
import Testing

@Suite("MariaDB: TLS from the URL")
struct MariaDBTLSTests {
    private static func cipher(_ configuration: MariaDBConfiguration) async throws -> String {
        let client = MariaDBClient(configuration: configuration, logger: TestServer.logger)
        do {
            let value = try await client.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").rows.first?["Value"]?.string ?? ""
            await client.shutdown()
            return value
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test("disabled is plain TCP, required encrypts, verify-full checks the server certificate against sslca")
    func modes() async throws {
        try await TestServer.withClient(pool: 1) { client, base in
            let row = try #require(try await client.query("SELECT @@have_ssl AS have, @@ssl_ca AS ca").rows.first)
            // scripts/mariadb.sh gives its server a throw-away CA; a server without one cannot test this.
            guard row["have"]?.string == "YES", let ca = row["ca"]?.string, FileManager.default.isReadableFile(atPath: ca) else {
                Issue.record("the test server has no TLS certificate (scripts/mariadb.sh makes one with openssl)", severity: .warning)
                return
            }
            var plain = base
            plain.tlsMode = .disabled
            #expect(try await Self.cipher(plain) == "")

            var required = base
            required.tlsMode = .required
            #expect(try await Self.cipher(required) != "")

            var verified = base
            verified.tlsMode = .verifyFull
            verified.tlsCA = ca
            #expect(try await Self.cipher(verified) != "")

            // The throw-away CA is in no system store, so verification without sslca must refuse the server.
            var unverifiable = base
            unverifiable.tlsMode = .verifyFull
            let error = await #expect(throws: MariaDBError.self) { _ = try await Self.cipher(unverifiable) }
            #expect(error?.phase == .connect)

            // The same through the URL, as an operator would write it.
            let url = try #require(ProcessInfo.processInfo.environment["CHATONE_TEST_MYSQL_URL"])
            let fromURL = try MariaDBConfiguration(url: url + "?sslmode=verify-ca&sslca=" + ca)
            #expect(try await Self.cipher(fromURL) != "")
        }
    }
}
