/// What `EngineIOConfiguration.handshakeFilter` decides about a handshake.
public enum EngineIOHandshakeDecision: Sendable, Equatable {
    /// The handshake proceeds (it may still be refused by `maxPendingSessions`).
    case allow
    /// The handshake is answered with this HTTP status (429 for a rate limit, say) and an Engine.IO
    /// error body, plus a `Retry-After` header when `retryAfter` (in seconds) is given. No session is created.
    case refuse(status: Int, retryAfter: Int? = nil)
}
