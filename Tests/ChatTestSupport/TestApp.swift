import ChatServer
import ChatSQL
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A fresh server over a fresh database (``TestBackend``) for one test case, removed afterwards.
///
/// Run a suite on every backend by parameterising its tests over ``TestBackend/servers``:
///
///     @Test(arguments: TestBackend.servers)
///     func something(_ backend: TestBackend) async throws {
///         try await TestApp.run(on: backend) { api in … }
///     }
///
/// ``run(on:accessTTL:corsOrigins:configure:_:)`` drives the router in process; ``live(on:configure:_:)`` starts
/// the server on a loopback port, for WebSocket clients. Either way the application's services run, and stop at the
/// end, as they do in `chatone serve`.
public enum TestApp {
    public static let secret = "test-secret-that-is-long-enough-for-hs256-0123456789"

    public static func config(databaseURL: DatabaseURL, accessTTL: TimeInterval = 900) -> ServerConfig {
        var config = ServerConfig()
        config.databaseURL = databaseURL
        config.jwtSecret = secret
        config.bcryptCost = 4
        config.accessTokenTTL = accessTTL
        config.logLevel = .warning
        config.host = "127.0.0.1"
        config.port = 0
        // Tests of other behaviour send and log in faster than any person; the abuse tests set their own limits.
        config.rateLimits = .unlimited
        // Some tests register hundreds of users at once; the bounded bcrypt queue has tests of its own.
        config.bcryptQueueLimit = 100_000
        return config
    }

    public static func config(databasePath: String, accessTTL: TimeInterval = 900) -> ServerConfig {
        config(databaseURL: .sqlite(path: databasePath), accessTTL: accessTTL)
    }

    /// Runs `body` against a fresh server on `backend`, through the router (no sockets).
    public static func run(
        on backend: TestBackend, accessTTL: TimeInterval = 900, corsOrigins: [String] = [],
        configure: @escaping @Sendable (inout ServerConfig) -> Void = { _ in },
        _ body: @escaping @Sendable (APIClient) async throws -> Void
    ) async throws {
        try await serve(on: backend, .router, accessTTL: accessTTL, corsOrigins: corsOrigins, configure: configure) { client in
            try await body(APIClient(client: client))
        }
    }

    /// Runs `body` against a fresh server on `backend` listening on a free loopback port; `port` is where sockets
    /// connect, `api` speaks REST to the same server.
    public static func live(
        on backend: TestBackend, configure: @escaping @Sendable (inout ServerConfig) -> Void = { _ in },
        _ body: @escaping @Sendable (_ port: Int, _ api: APIClient) async throws -> Void
    ) async throws {
        try await serve(on: backend, .live, accessTTL: 900, corsOrigins: [], configure: configure) { client in
            let port = try #require(client.port, "the live test client has a port")
            try await body(port, APIClient(client: client))
        }
    }

    private static func serve(
        on backend: TestBackend, _ mode: TestingSetup, accessTTL: TimeInterval, corsOrigins: [String],
        configure: @Sendable (inout ServerConfig) -> Void, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await backend.withDatabaseURL { url in
            var config = config(databaseURL: url, accessTTL: accessTTL)
            config.corsOrigins = corsOrigins
            configure(&config)
            let app = try await buildApplication(config: config, logger: TestBackend.logger)
            try await app.test(mode) { client in try await body(client) }
        }
    }
}
