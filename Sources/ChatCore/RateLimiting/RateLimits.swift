/// The limits a deployment sets (`CHATONE_RATE_*`), with the defaults a public chat service would use.
///
/// Each is a ``RateLimit`` (`N/SECONDS`, burst `N`); `nil` disables one. Why each exists is in docs/security.md.
public struct RateLimitSettings: Sendable, Equatable {
    /// Login attempts per client address: slows password guessing and caps the bcrypt work one address can cause.
    public var loginPerAddress: RateLimit? = RateLimit(burst: 20, per: .seconds(60))
    /// Failed logins per username, from anywhere: stops a distributed guess at one account.
    public var loginFailuresPerUsername: RateLimit? = RateLimit(burst: 10, per: .seconds(600))
    /// Registrations per client address.
    public var registerPerAddress: RateLimit? = RateLimit(burst: 10, per: .seconds(3600))
    /// Token refreshes and logouts per client address (each is a database write).
    public var refreshPerAddress: RateLimit? = RateLimit(burst: 60, per: .seconds(60))
    /// Messages a user sends (REST and socket together).
    public var messagesPerUser: RateLimit? = RateLimit(burst: 50, per: .seconds(10))
    /// Typing indicators a user sends.
    public var typingPerUser: RateLimit? = RateLimit(burst: 20, per: .seconds(10))
    /// Read markers a user moves.
    public var readsPerUser: RateLimit? = RateLimit(burst: 50, per: .seconds(10))
    /// Group creations and changes (rename, add, remove, leave) and direct conversations opened, per user.
    public var conversationChangesPerUser: RateLimit? = RateLimit(burst: 20, per: .seconds(60))
    /// Engine.IO handshakes (new socket connections) per client address.
    public var handshakesPerAddress: RateLimit? = RateLimit(burst: 60, per: .seconds(60))

    public init() {}
}

/// One ``RateLimiter`` per kind of action, shared by the services (REST and sockets hit the same buckets).
public struct RateLimits: Sendable {
    public let loginPerAddress: RateLimiter
    public let loginFailuresPerUsername: RateLimiter
    public let registerPerAddress: RateLimiter
    public let refreshPerAddress: RateLimiter
    public let messagesPerUser: RateLimiter
    public let typingPerUser: RateLimiter
    public let readsPerUser: RateLimiter
    public let conversationChangesPerUser: RateLimiter
    public let handshakesPerAddress: RateLimiter

    /// - Parameter metrics: each limiter counts its refusals under its own `limit` label (the names in
    ///   docs/operations.md).
    public init(_ settings: RateLimitSettings, metrics: ChatMetrics = .disabled) {
        func limiter(_ limit: RateLimit?, _ name: String) -> RateLimiter {
            RateLimiter(limit, rejections: metrics.rateLimitRejections(name))
        }
        loginPerAddress = limiter(settings.loginPerAddress, "login_per_ip")
        loginFailuresPerUsername = limiter(settings.loginFailuresPerUsername, "login_failures_per_username")
        registerPerAddress = limiter(settings.registerPerAddress, "register_per_ip")
        refreshPerAddress = limiter(settings.refreshPerAddress, "refresh_per_ip")
        messagesPerUser = limiter(settings.messagesPerUser, "messages_per_user")
        typingPerUser = limiter(settings.typingPerUser, "typing_per_user")
        readsPerUser = limiter(settings.readsPerUser, "reads_per_user")
        conversationChangesPerUser = limiter(settings.conversationChangesPerUser, "conversation_changes_per_user")
        handshakesPerAddress = limiter(settings.handshakesPerAddress, "handshakes_per_ip")
    }

    /// No limits at all, for tests of other behaviour.
    public static let unlimited = RateLimits(RateLimitSettings.unlimited)
}

extension RateLimitSettings {
    /// Every limit off.
    public static var unlimited: RateLimitSettings {
        var settings = RateLimitSettings()
        settings.loginPerAddress = nil
        settings.loginFailuresPerUsername = nil
        settings.registerPerAddress = nil
        settings.refreshPerAddress = nil
        settings.messagesPerUser = nil
        settings.typingPerUser = nil
        settings.readsPerUser = nil
        settings.conversationChangesPerUser = nil
        settings.handshakesPerAddress = nil
        return settings
    }
}
