/// Settings of a Socket.IO server.
public struct SocketIOConfiguration: Sendable {
    /// The Engine.IO transport settings (path, heartbeat, payload and buffer limits, CORS, pending
    /// sessions, handshake filter).
    public var engine: EngineIOConfiguration
    /// How long a new connection may go without joining a namespace before it is closed (10 s by default).
    ///
    /// Until then the connection counts toward `engine.maxPendingSessions`.
    public var connectTimeout: Duration
    /// Most binary attachments one packet may announce. The packet as a whole, attachments included,
    /// is also bounded by `engine.maxPayload`.
    public var maxAttachments: Int
    /// Most inbound packets (CONNECT, EVENT, DISCONNECT) of one connection that may be queued or running
    /// at once (32 by default).
    ///
    /// Handlers of a connection run one at a time; when this many are waiting, the server stops reading
    /// from the connection (a WebSocket is not read, so TCP pushes back on the client; a polling POST is
    /// answered only once its packets are accepted) instead of queueing without bound. ACKs are never
    /// held back. While a handler of the connection awaits an ack from its client, up to twice as many
    /// are read, so the ack can get past events queued in front of it.
    public var maxPendingEvents: Int
    /// Whether each socket keeps its CONNECT payload as `handshake.auth` for its whole life (the default).
    ///
    /// With `false`, `handshake.auth` is available to middleware only and reads as an empty object once
    /// the socket is connected, so a large auth object (a token, say) is not held per connection.
    /// Middleware that needs something from it later copies it to `socket.data` or typed storage.
    public var retainsHandshakeAuth: Bool
    /// Connection state recovery (Socket.IO v4's `connectionStateRecovery`); nil, the default, leaves it off.
    ///
    /// When on, the CONNECT reply carries a private session id (`pid`), every event sent to rooms without an ack
    /// and not volatile carries its offset as last argument, and a client that reconnects with `{pid, offset}` in its
    /// auth payload within the window gets its socket back (see ``SocketIORecoveryConfiguration``). Events sent with
    /// `SocketIOSocket.emit` to one socket are not recorded; send them to the socket's id room through the
    /// namespace to have them replayed.
    public var connectionStateRecovery: SocketIORecoveryConfiguration?

    public init(
        path: String = "/socket.io",
        pingInterval: Duration = .seconds(25),
        pingTimeout: Duration = .seconds(20),
        maxPayload: Int = 64 * 1024,
        connectTimeout: Duration = .seconds(10),
        maxOutboundBufferSize: Int = 4 * 1024 * 1024,
        outboundBufferPolicy: EngineIOConfiguration.OutboundBufferPolicy = .disconnect,
        allowedOrigins: [String]? = nil,
        allowPolling: Bool = true,
        allowWebSocket: Bool = true,
        maxAttachments: Int = 10,
        maxPendingEvents: Int = 32,
        maxPendingSessions: Int? = 4096,
        handshakeFilter: (@Sendable (EngineIOHandshakeRequest) -> EngineIOHandshakeDecision)? = nil,
        retainsHandshakeAuth: Bool = true,
        connectionStateRecovery: SocketIORecoveryConfiguration? = nil
    ) {
        self.engine = EngineIOConfiguration(
            path: path,
            pingInterval: pingInterval,
            pingTimeout: pingTimeout,
            maxPayload: maxPayload,
            maxOutboundBufferSize: maxOutboundBufferSize,
            outboundBufferPolicy: outboundBufferPolicy,
            allowedOrigins: allowedOrigins,
            allowPolling: allowPolling,
            allowWebSocket: allowWebSocket,
            maxPendingSessions: maxPendingSessions,
            handshakeFilter: handshakeFilter
        )
        self.connectTimeout = connectTimeout
        self.maxAttachments = maxAttachments
        self.maxPendingEvents = max(1, maxPendingEvents)
        self.retainsHandshakeAuth = retainsHandshakeAuth
        self.connectionStateRecovery = connectionStateRecovery
    }
}
