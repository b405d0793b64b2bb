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
    /// SQLite's commit sync (`CHATONE_SQLITE_SYNCHRONOUS`): `full` by default, so an ack means on disk.
    public var sqliteSynchronous = SQLiteSynchronous.full
    /// Seconds a user must be without sockets before contacts hear they went offline (`CHATONE_PRESENCE_GRACE`);
    /// a reconnect within it announces nothing. 0: at once.
    public var presenceGrace: TimeInterval = 3
    /// Seconds a graceful shutdown (SIGTERM) may take at most (`CHATONE_SHUTDOWN_GRACE`): sockets drain, sends in
    /// flight finish and are acked, presence and the database close; whatever is still running then is abandoned.
    public var shutdownGrace: TimeInterval = 10
    /// Where `GET /metrics` is served (`CHATONE_METRICS_ADDRESS`): `nil` serves it on the API's own listener;
    /// an address serves it there only, so it need not be public.
    public var metricsAddress: ListenAddress?
    /// Plain text or JSON lines (`CHATONE_LOG_FORMAT`).
    public var logFormat = LogFormat.text
    /// Seconds a dropped socket's session and the events it misses are kept for Socket.IO connection state recovery
    /// (`CHATONE_RECOVERY_WINDOW`, 2 minutes by default); 0 turns recovery off.
    public var recoveryWindow: TimeInterval = 120
    /// Most events kept for recovery, all sockets together (`CHATONE_RECOVERY_MAX_EVENTS`); the oldest go first, and a
    /// socket whose missed events are gone is simply new.
    public var recoveryMaxEvents = 100_000

    /// The engine settings for ``ChatDatabase/open(_:options:logger:)``.
    public var databaseOptions: DatabaseOptions { DatabaseOptions(sqliteSynchronous: sqliteSynchronous) }

    // MARK: Abuse limits (docs/security.md says what each is for)

    /// Per-key token buckets (`CHATONE_RATE_*`).
    public var rateLimits = RateLimitSettings()
    /// Peers whose `X-Forwarded-For` is believed (`CHATONE_TRUSTED_PROXIES`); empty: the header is ignored.
    public var trustedProxies: [AddressRange] = []
    /// Most sockets one user may have connected at once; the next CONNECT is refused with TOO_MANY_CONNECTIONS.
    public var maxSocketsPerUser = 20
    /// Most bcrypt hashes running or waiting at once; beyond it login and register answer 429 at once. nil: four
    /// per bcrypt thread (one per allowed core) and at least eight, so that the longest wait is about four hashes
    /// per core (one second at cost 12 on an idle core).
    public var bcryptQueueLimit: Int?
    /// bcrypt runs in the core's spare time; when its threads get under this percentage of one core for a
    /// second, a waiting hash is rescued onto a nice-10 thread (``SpareTimePool``). 0: never rescued. A core that is
    /// saturated leaves them about 0.3%; 2 also rescues on a core that is 98% busy (a hash would take 12 s there),
    /// and leaves alone a core with a little spare time, where the rescue thread would only take it from messaging.
    public var bcryptRescueBelowPercent = 2
    /// Largest Socket.IO payload (a WebSocket message, a polling POST body, a packet with its attachments).
    public var socketMaxPayload = 64 * 1024
    /// How long a new Engine.IO session may take to complete its Socket.IO CONNECT.
    public var socketConnectTimeout: TimeInterval = 10
    /// Most sessions that have not completed their CONNECT yet, server-wide.
    public var socketMaxPendingSessions = 2000
    /// Socket events of one connection queued or running at once; beyond it the server stops reading from it.
    public var socketMaxEventsInFlight = 32
    /// How long a request head and body may take to arrive.
    public var requestTimeout: TimeInterval = 10
    /// How long a login, register, refresh or logout refused by a rate limit is held before its 429 is sent
    /// (`CHATONE_AUTH_REFUSAL_DELAY_MS`; 0 sends it at once), so that a client ignoring `Retry-After` cannot make
    /// the server answer refusals as fast as it asks.
    public var authRefusalDelay: Duration = .seconds(1)

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
        if let text = env["CHATONE_SQLITE_SYNCHRONOUS"], !text.isEmpty {
            guard let value = SQLiteSynchronous(rawValue: text.lowercased()) else { throw invalid("CHATONE_SQLITE_SYNCHRONOUS", "full or normal") }
            config.sqliteSynchronous = value
        }
        if let text = env["CHATONE_PRESENCE_GRACE"], !text.isEmpty {
            guard let seconds = Double(text), seconds.isFinite, (0...3600).contains(seconds) else {
                throw invalid("CHATONE_PRESENCE_GRACE", "a number of seconds from 0 to 3600")
            }
            config.presenceGrace = seconds
        }
        if let text = env["CHATONE_SHUTDOWN_GRACE"], !text.isEmpty {
            guard let seconds = Double(text), seconds.isFinite, (1...3600).contains(seconds) else {
                throw invalid("CHATONE_SHUTDOWN_GRACE", "a number of seconds from 1 to 3600")
            }
            config.shutdownGrace = seconds
        }
        if let text = env["CHATONE_METRICS_ADDRESS"], !text.isEmpty {
            guard let address = ListenAddress(parsing: text) else { throw invalid("CHATONE_METRICS_ADDRESS", "host:port, e.g. 127.0.0.1:9464") }
            config.metricsAddress = address
        }
        if let text = env["CHATONE_LOG_FORMAT"], !text.isEmpty {
            guard let format = LogFormat(rawValue: text.lowercased()) else { throw invalid("CHATONE_LOG_FORMAT", "text or json") }
            config.logFormat = format
        }
        if let text = env["CHATONE_RECOVERY_WINDOW"], !text.isEmpty {
            if ["off", "false", "no"].contains(text.lowercased()) {
                config.recoveryWindow = 0
            } else {
                guard let seconds = Double(text), seconds.isFinite, (0...3600).contains(seconds) else {
                    throw invalid("CHATONE_RECOVERY_WINDOW", "a number of seconds from 0 to 3600, or off")
                }
                config.recoveryWindow = seconds
            }
        }
        try config.readLimits(env)
        return config
    }

    private mutating func readLimits(_ env: [String: String]) throws {
        let rates: [(String, WritableKeyPath<RateLimitSettings, RateLimit?>)] = [
            ("CHATONE_RATE_LOGIN_PER_IP", \.loginPerAddress),
            ("CHATONE_RATE_LOGIN_FAILURES_PER_USERNAME", \.loginFailuresPerUsername),
            ("CHATONE_RATE_REGISTER_PER_IP", \.registerPerAddress),
            ("CHATONE_RATE_REFRESH_PER_IP", \.refreshPerAddress),
            ("CHATONE_RATE_MESSAGES_PER_USER", \.messagesPerUser),
            ("CHATONE_RATE_TYPING_PER_USER", \.typingPerUser),
            ("CHATONE_RATE_READS_PER_USER", \.readsPerUser),
            ("CHATONE_RATE_CONVERSATION_CHANGES_PER_USER", \.conversationChangesPerUser),
            ("CHATONE_RATE_HANDSHAKES_PER_IP", \.handshakesPerAddress),
        ]
        for (name, keyPath) in rates {
            if let text = env[name], !text.isEmpty { rateLimits[keyPath: keyPath] = try RateLimit.parse(text, field: name) }
        }
        if let text = env["CHATONE_TRUSTED_PROXIES"] {
            trustedProxies = try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
                guard let range = AddressRange($0) else { throw Self.invalid("CHATONE_TRUSTED_PROXIES", "a comma-separated list of IP addresses or CIDR ranges") }
                return range
            }
        }
        let counts: [(String, WritableKeyPath<ServerConfig, Int>, ClosedRange<Int>)] = [
            ("CHATONE_MAX_SOCKETS_PER_USER", \.maxSocketsPerUser, 1...10_000),
            ("CHATONE_SOCKET_MAX_PAYLOAD", \.socketMaxPayload, 1024...100 * 1024 * 1024),
            ("CHATONE_SOCKET_MAX_PENDING", \.socketMaxPendingSessions, 1...1_000_000),
            ("CHATONE_SOCKET_MAX_EVENTS_IN_FLIGHT", \.socketMaxEventsInFlight, 1...10_000),
            ("CHATONE_RECOVERY_MAX_EVENTS", \.recoveryMaxEvents, 100...10_000_000),
        ]
        for (name, keyPath, range) in counts {
            guard let text = env[name], !text.isEmpty else { continue }
            guard let value = Int(text), range.contains(value) else {
                throw Self.invalid(name, "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            self[keyPath: keyPath] = value
        }
        if let text = env["CHATONE_BCRYPT_QUEUE"], !text.isEmpty {
            guard let value = Int(text), (1...100_000).contains(value) else { throw Self.invalid("CHATONE_BCRYPT_QUEUE", "an integer from 1 to 100000") }
            bcryptQueueLimit = value
        }
        if let text = env["CHATONE_BCRYPT_RESCUE_BELOW"], !text.isEmpty {
            guard let value = Int(text), (0...100).contains(value) else {
                throw Self.invalid("CHATONE_BCRYPT_RESCUE_BELOW", "an integer from 0 to 100")
            }
            bcryptRescueBelowPercent = value
        }
        if let seconds = env["CHATONE_SOCKET_CONNECT_TIMEOUT"] {
            socketConnectTimeout = try Self.parseSeconds(seconds, name: "CHATONE_SOCKET_CONNECT_TIMEOUT")
        }
        if let seconds = env["CHATONE_REQUEST_TIMEOUT"] { requestTimeout = try Self.parseSeconds(seconds, name: "CHATONE_REQUEST_TIMEOUT") }
        if let text = env["CHATONE_AUTH_REFUSAL_DELAY_MS"], !text.isEmpty {
            guard let value = Int(text), (0...10_000).contains(value) else {
                throw Self.invalid("CHATONE_AUTH_REFUSAL_DELAY_MS", "an integer from 0 to 10000")
            }
            authRefusalDelay = .milliseconds(value)
        }
    }

    public static func parsePort(_ text: String, name: String) throws -> Int {
        guard let port = Int(text), (0...65535).contains(port) else { throw invalid(name, "a port number from 0 to 65535") }
        return port
    }

    private static func parseSeconds(_ text: String, name: String) throws -> TimeInterval {
        // Bounded above too, so that no setting overflows when turned into a Duration or Date.
        guard let seconds = Int(text), (1...315_360_000).contains(seconds) else { throw invalid(name, "a positive number of seconds") }
        return TimeInterval(seconds)
    }

    private static func invalid(_ name: String, _ expected: String) -> ChatError {
        .validation("\(name) must be \(expected)", field: name)
    }
}
