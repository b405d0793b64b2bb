/// Settings of a Socket.IO server.
public struct SocketIOConfiguration: Sendable {
    /// The Engine.IO transport settings (path, heartbeat, payload and buffer limits, CORS).
    public var engine: EngineIOConfiguration
    /// How long a new connection may go without joining a namespace before it is closed.
    public var connectTimeout: Duration
    /// Most binary attachments one packet may announce.
    public var maxAttachments: Int

    public init(
        path: String = "/socket.io",
        pingInterval: Duration = .seconds(25),
        pingTimeout: Duration = .seconds(20),
        maxPayload: Int = 1_000_000,
        connectTimeout: Duration = .seconds(45),
        maxOutboundBufferSize: Int = 4 * 1024 * 1024,
        outboundBufferPolicy: EngineIOConfiguration.OutboundBufferPolicy = .disconnect,
        allowedOrigins: [String]? = nil,
        allowPolling: Bool = true,
        allowWebSocket: Bool = true,
        maxAttachments: Int = 10
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
            allowWebSocket: allowWebSocket
        )
        self.connectTimeout = connectTimeout
        self.maxAttachments = maxAttachments
    }
}
