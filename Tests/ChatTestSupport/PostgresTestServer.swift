import ChatSQL
import Foundation
import Logging

/// The PostgreSQL server the tests may use, named by `CHATONE_TEST_POSTGRES_URL` (set by `scripts/test.sh`, which
/// starts one with `scripts/postgres.sh`). Each test gets a database of its own, dropped afterwards, so tests run
/// in parallel without seeing each other's rows.
public enum PostgresTestServer {
    /// The URL of a database whose role may create databases, or nil when no server is configured (PostgreSQL
    /// cases are then skipped, visibly).
    public static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["CHATONE_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }

    public static let skipMessage =
        "CHATONE_TEST_POSTGRES_URL is not set: PostgreSQL case skipped (scripts/test.sh starts a server and sets it)"

    static let logger: Logger = {
        var logger = Logger(label: "postgres-test-server")
        logger.logLevel = .error
        return logger
    }()

    /// Creates a fresh database, runs `body` with a URL pointing at it, and drops it afterwards, also on failure.
    public static func withScratchDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        guard let url else { throw PostgresTestServerError(message: skipMessage) }
        let name = "chatone_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        let admin = try await PostgresBackend.open(url: url, maximumConnections: 1, logger: logger)
        // The name is generated above from hex digits only, so it is safe as an identifier.
        do {
            _ = try await admin.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        } catch {
            await admin.shutdown()
            throw error
        }
        guard var components = URLComponents(string: url) else {
            await admin.shutdown()
            throw PostgresTestServerError(message: "CHATONE_TEST_POSTGRES_URL is not a valid URL")
        }
        components.path = "/" + name
        let scratch = components.string ?? url
        do {
            let result = try await body(scratch)
            await drop(name, admin)
            return result
        } catch {
            await drop(name, admin)
            throw error
        }
    }

    private static func drop(_ name: String, _ admin: PostgresBackend) async {
        // FORCE ends any session a failed test left behind.
        _ = try? await admin.read { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
        await admin.shutdown()
    }
}
