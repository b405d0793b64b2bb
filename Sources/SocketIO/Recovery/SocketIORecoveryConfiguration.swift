/// Settings of connection state recovery (Socket.IO v4's `connectionStateRecovery`).
///
/// A socket that drops for a transient reason (transport closed or failed, ping timeout, server shutting down, its
/// outbound buffer full) leaves its session behind for `window`; a client that reconnects with its `pid` and last
/// `offset` within it gets its socket id, rooms and data back and every event it missed, and sees `recovered`.
/// Memory stays bounded: beyond the limits below a reconnecting client is simply a new one.
public struct SocketIORecoveryConfiguration: Sendable {
    /// How long a dropped session and the events emitted are kept (2 minutes by default).
    public var window: Duration
    /// Most events kept in all, oldest dropped first (the in-memory store's limit).
    public var maxEvents: Int
    /// Most events replayed to one recovering socket; a socket that missed more is not recovered.
    public var maxEventsPerSession: Int
    /// Most dropped sessions kept at once, oldest dropped first (the in-memory store's limit).
    public var maxSessions: Int

    public init(window: Duration = .seconds(120), maxEvents: Int = 100_000, maxEventsPerSession: Int = 1_000, maxSessions: Int = 50_000) {
        self.window = window
        self.maxEvents = max(1, maxEvents)
        self.maxEventsPerSession = max(1, maxEventsPerSession)
        self.maxSessions = max(1, maxSessions)
    }

    /// The reasons a socket's session is kept for recovery: the client did not mean to leave.
    static let recoverableReasons: Set<SocketIODisconnectReason> = [
        .transportClose, .transportError, .pingTimeout, .serverShuttingDown, .outboundBufferFull,
    ]
}
