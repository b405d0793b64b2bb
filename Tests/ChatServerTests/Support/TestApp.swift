import ChatServer
import ChatSQL
import ChatTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// A fresh server over a fresh database for each test, removed afterwards.
///
/// ``run(accessTTL:corsOrigins:_:)`` runs the test body once per backend, SQLite first, each time against a new
/// server and database, so every API test holds on both engines. A thrown error names the backend it came from;
/// without a MariaDB server the MariaDB run is skipped with a warning in the test's output.
enum TestApp {
    static let secret = "test-secret-that-is-long-enough-for-hs256-0123456789"

    static func config(databaseURL: DatabaseURL, accessTTL: TimeInterval = 900) -> ServerConfig {
        var config = ServerConfig()
        config.databaseURL = databaseURL
        config.jwtSecret = secret
        config.bcryptCost = 4
        config.accessTokenTTL = accessTTL
        config.logLevel = .warning
        config.port = 0
        // Tests of other behaviour send and log in faster than any person; the abuse tests set their own limits.
        config.rateLimits = .unlimited
        // Some tests register hundreds of users at once; the bounded bcrypt queue has tests of its own.
        config.bcryptQueueLimit = 100_000
        return config
    }

    static func config(databasePath: String, accessTTL: TimeInterval = 900) -> ServerConfig {
        config(databaseURL: .sqlite(path: databasePath), accessTTL: accessTTL)
    }

    /// The backend the current body runs on, for tests that need to know.
    @TaskLocal static var backend: TestBackend = .sqlite

    static func run(
        accessTTL: TimeInterval = 900, corsOrigins: [String] = [], configure: @escaping @Sendable (inout ServerConfig) -> Void = { _ in },
        _ body: @escaping @Sendable (APIClient) async throws -> Void
    ) async throws {
        for backend in TestBackend.allCases {
            try await run(on: backend, accessTTL: accessTTL, corsOrigins: corsOrigins, configure: configure, body)
        }
    }

    /// Runs `body` against a fresh server on one backend only.
    static func run(
        on backend: TestBackend, accessTTL: TimeInterval = 900, corsOrigins: [String] = [],
        configure: @escaping @Sendable (inout ServerConfig) -> Void = { _ in },
        _ body: @escaping @Sendable (APIClient) async throws -> Void
    ) async throws {
        do {
            switch backend {
            case .sqlite:
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatone-test-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: dir) }
                try await serve(.sqlite(path: dir.appendingPathComponent("chat.sqlite").path), backend, accessTTL, corsOrigins, configure, body)
            case .mariadb:
                guard MySQLTestServer.url != nil else {
                    Issue.record(Comment(rawValue: MySQLTestServer.skipMessage), severity: .warning)
                    return
                }
                try await MySQLTestServer.withScratchDatabase { url in
                    try await serve(try DatabaseURL(parsing: url), backend, accessTTL, corsOrigins, configure, body)
                }
            }
        } catch let error as ExpectationFailedError {
            // Already recorded by `#require`, which also says where; wrapping it would record it twice.
            throw error
        } catch {
            throw BackendFailure(backend: backend, underlying: error)
        }
    }

    private static func serve(
        _ url: DatabaseURL, _ backend: TestBackend, _ accessTTL: TimeInterval, _ corsOrigins: [String],
        _ configure: @Sendable (inout ServerConfig) -> Void, _ body: @escaping @Sendable (APIClient) async throws -> Void
    ) async throws {
        var config = config(databaseURL: url, accessTTL: accessTTL)
        config.corsOrigins = corsOrigins
        configure(&config)
        var logger = Logger(label: "chatone-test")
        logger.logLevel = .warning
        let app = try await buildApplication(config: config, logger: logger)
        try await $backend.withValue(backend) {
            try await app.test(.router) { client in
                try await body(APIClient(client: client))
            }
        }
    }
}

/// A response: status, headers and parsed JSON body.
struct APIResponse: Sendable {
    var status: Int
    var headers: HTTPFields
    var json: JSON
    var raw: String

    var data: JSON? { json["data"] }
    var errorCode: String? { json["error"]?["code"]?.string }
}

/// Thin helpers over the test client, speaking the API's JSON.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    func request(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: String? = nil, headers extra: HTTPFields = [:]) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let raw = String(buffer: response.body)
            let json = (try? JSONDecoder().decode(JSON.self, from: Data(raw.utf8))) ?? .null
            return APIResponse(status: Int(response.status.code), headers: response.headers, json: json, raw: raw)
        }
    }

    func json(_ object: [String: Any?]) -> String {
        let cleaned = object.mapValues { $0 ?? NSNull() }
        return String(data: try! JSONSerialization.data(withJSONObject: cleaned), encoding: .utf8)!
    }

    struct Session: Sendable {
        var id: String
        var username: String
        var accessToken: String
        var refreshToken: String
    }

    func register(_ username: String, password: String = "correct horse", displayName: String? = nil) async throws -> Session {
        let response = try await request(.post, "/api/v1/auth/register", body: json(["username": username, "password": password, "displayName": displayName]))
        try #require(response.status == 201, "register \(username): \(response.raw)")
        return try session(response)
    }

    func login(_ username: String, password: String = "correct horse") async throws -> APIResponse {
        try await request(.post, "/api/v1/auth/login", body: json(["username": username, "password": password]))
    }

    func session(_ response: APIResponse) throws -> Session {
        let data = try #require(response.data)
        return Session(
            id: try #require(data["user"]?["id"]?.string), username: try #require(data["user"]?["username"]?.string),
            accessToken: try #require(data["accessToken"]?.string), refreshToken: try #require(data["refreshToken"]?.string))
    }

    func openDirect(_ caller: Session, with other: Session) async throws -> APIResponse {
        try await request(.post, "/api/v1/conversations", token: caller.accessToken, body: json(["type": "direct", "userId": other.id]))
    }

    func conversationID(_ caller: Session, with other: Session) async throws -> String {
        let response = try await openDirect(caller, with: other)
        return try #require(response.data?["id"]?.string, "open direct: \(response.raw)")
    }

    func send(_ caller: Session, _ conversationID: String, _ content: String, clientMessageID: String? = nil) async throws -> APIResponse {
        try await request(
            .post, "/api/v1/conversations/\(conversationID)/messages", token: caller.accessToken,
            body: json(["content": content, "clientMessageId": clientMessageID]))
    }
}
