import ChatCore
import ChatSQL
import Foundation
import Logging

/// Everything `chatone` reads from its environment and flags. Flags win over the environment.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 3000
    public var databaseURL = DatabaseURL.sqlite(path: "chatone.sqlite")
    /// nil: `serve` generates a random secret and warns that tokens will not survive a restart.
    public var jwtSecret: String?
    public var accessTokenTTL: TimeInterval = 900
    public var refreshTokenTTL: TimeInterval = 30 * 24 * 3600
    public var bcryptCost: UInt8 = 12
    public var logLevel = Logger.Level.info
    /// Origins allowed to call from a browser; `["*"]` allows any. Empty: no cross-origin access.
    public var corsOrigins: [String] = []
    /// How often the socket server pings each connection (Engine.IO `pingInterval`).
    public var socketPingInterval: TimeInterval = 25
    /// How long a connection may leave a ping unanswered before it is closed and its user may go offline.
    public var socketPingTimeout: TimeInterval = 20

    public init() {}

    /// Reads the `CHATONE_*` variables. Invalid values are refused with a message naming the variable.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfig {
        var config = ServerConfig()
        if let host = env["CHATONE_HOST"], !host.isEmpty { config.host = host }
        if let port = env["CHATONE_PORT"] { config.port = try parsePort(port, name: "CHATONE_PORT") }
        if let url = env["CHATONE_DATABASE_URL"], !url.isEmpty { config.databaseURL = try DatabaseURL(parsing: url) }
        if let secret = env["CHATONE_JWT_SECRET"], !secret.isEmpty { config.jwtSecret = secret }
        if let ttl = env["CHATONE_ACCESS_TOKEN_TTL"] { config.accessTokenTTL = try parseSeconds(ttl, name: "CHATONE_ACCESS_TOKEN_TTL") }
        if let ttl = env["CHATONE_REFRESH_TOKEN_TTL"] { config.refreshTokenTTL = try parseSeconds(ttl, name: "CHATONE_REFRESH_TOKEN_TTL") }
        if let cost = env["CHATONE_BCRYPT_COST"] {
            guard let value = UInt8(cost), (4...31).contains(value) else { throw invalid("CHATONE_BCRYPT_COST", "an integer from 4 to 31") }
            config.bcryptCost = value
        }
        if let level = env["CHATONE_LOG_LEVEL"], !level.isEmpty {
            guard let value = Logger.Level(rawValue: level.lowercased()) else {
                throw invalid("CHATONE_LOG_LEVEL", "one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = value
        }
        if let origins = env["CHATONE_CORS_ORIGINS"] {
            config.corsOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let seconds = env["CHATONE_SOCKET_PING_INTERVAL"] {
            config.socketPingInterval = try parseSeconds(seconds, name: "CHATONE_SOCKET_PING_INTERVAL")
        }
        if let seconds = env["CHATONE_SOCKET_PING_TIMEOUT"] {
            config.socketPingTimeout = try parseSeconds(seconds, name: "CHATONE_SOCKET_PING_TIMEOUT")
        }
        return config
    }

    public static func parsePort(_ text: String, name: String) throws -> Int {
        guard let port = Int(text), (0...65535).contains(port) else { throw invalid(name, "a port number from 0 to 65535") }
        return port
    }

    private static func parseSeconds(_ text: String, name: String) throws -> TimeInterval {
        guard let seconds = Int(text), seconds > 0 else { throw invalid(name, "a positive number of seconds") }
        return TimeInterval(seconds)
    }

    private static func invalid(_ name: String, _ expected: String) -> ChatError {
        .validation("\(name) must be \(expected)", field: name)
    }
}
