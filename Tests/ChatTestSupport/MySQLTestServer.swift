import Foundation
import Logging
import MariaDB

/// The MariaDB/MySQL server the tests may use, named by `CHATONE_TEST_MYSQL_URL` (set by `scripts/test.sh`, which
/// starts one with `scripts/mariadb.sh`). Each test gets a database of its own, dropped afterwards, so tests run
/// in parallel without seeing each other's rows.
public enum MySQLTestServer {
    /// The admin URL, or nil when no server is configured (MariaDB cases are then skipped, visibly).
    public static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["CHATONE_TEST_MYSQL_URL"], !value.isEmpty else { return nil }
        return value
    }

    public static let skipMessage = "CHATONE_TEST_MYSQL_URL is not set: MariaDB case skipped (scripts/test.sh starts a server and sets it)"

    static let logger: Logger = {
        var logger = Logger(label: "mysql-test-server")
        logger.logLevel = .warning
        return logger
    }()

    /// Creates a fresh database, runs `body` with a URL pointing at it, and drops it afterwards, also on failure.
    public static func withScratchDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        guard let url else { throw MySQLTestServerError(message: skipMessage) }
        let name = "chatone_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        var admin = try MariaDBConfiguration(url: url)
        admin.maximumConnections = 1
        let client = MariaDBClient(configuration: admin, logger: logger)
        // The name is generated above from hex digits only, so it is safe as an identifier.
        _ = try await client.query("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        guard var components = URLComponents(string: url) else { throw MySQLTestServerError(message: "CHATONE_TEST_MYSQL_URL is not a valid URL") }
        components.path = "/" + name
        let scratch = components.string ?? url
        do {
            let result = try await body(scratch)
            _ = try? await client.query("DROP DATABASE IF EXISTS `\(name)`")
            await client.shutdown()
            return result
        } catch {
            _ = try? await client.query("DROP DATABASE IF EXISTS `\(name)`")
            await client.shutdown()
            throw error
        }
    }
}
