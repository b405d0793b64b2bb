/// Settings of an Engine.IO endpoint (the transport layer under Socket.IO).
public struct EngineIOConfiguration: Sendable {
    /// URL path of the endpoint; requests are matched on it with or without the trailing slash.
    public var path: String
    /// How often the server sends a ping.
    public var pingInterval: Duration
    /// How long the server waits for the pong before closing the session.
    public var pingTimeout: Duration
    /// Largest accepted inbound payload (an HTTP POST body or a WebSocket message), in bytes.
    ///
    /// 64 KiB by default. A POST body over it is answered with 413 and a WebSocket message over it
    /// closes the WebSocket with code 1009, as the reference server does; either way the session ends.
    /// Socket.IO also applies it to a whole packet, binary attachments included.
    public var maxPayload: Int
    /// Largest amount of outbound data, in bytes, queued for one session before `outboundBufferPolicy` applies.
    ///
    /// This bounds the memory a client that stops reading can make the server hold.
    public var maxOutboundBufferSize: Int
    /// What happens when a session's outbound buffer would exceed `maxOutboundBufferSize`.
    public var outboundBufferPolicy: OutboundBufferPolicy
    /// Origins allowed to make cross-origin long-polling requests (`Access-Control-Allow-Origin` is
    /// echoed for them, with credentials). `nil` adds no CORS headers; `["*"]` allows any origin.
    public var allowedOrigins: [String]?
    /// Whether clients may use HTTP long-polling.
    public var allowPolling: Bool
    /// Whether clients may use WebSocket (directly or as an upgrade from polling).
    public var allowWebSocket: Bool
    /// Most sessions that may be pending at once; `nil` for no limit (the default of a raw endpoint).
    ///
    /// A session is pending from its handshake until its delegate calls `EngineIOSocket.markEstablished()`
    /// (Socket.IO does when a namespace CONNECT succeeds). Handshakes beyond the limit are refused at once
    /// with 503 (`{"code":6,"message":"Server busy"}`) and create no session, so a flood of clients that
    /// never authenticate cannot hold more than this many sessions.
    public var maxPendingSessions: Int?
    /// Decides, before a session exists, whether a handshake may proceed; `nil` allows every handshake.
    ///
    /// Called once per handshake (polling GET or WebSocket upgrade), on the request's event loop: keep it
    /// short and never block. It sees the client's address (`EngineIOHandshakeRequest.remoteAddress`) and
    /// headers, so an application can rate-limit handshakes per client (reading `X-Forwarded-For` itself
    /// behind a proxy it trusts).
    public var handshakeFilter: (@Sendable (EngineIOHandshakeRequest) -> EngineIOHandshakeDecision)?

    /// What to do with a session whose outbound buffer is full.
    public enum OutboundBufferPolicy: Sendable, Equatable {
        /// Close the session (reason `outboundBufferFull`); the client reconnects and resynchronises.
        case disconnect
        /// Drop the packet that does not fit and keep the session.
        case dropNewest
    }

    public init(
        path: String = "/engine.io",
        pingInterval: Duration = .seconds(25),
        pingTimeout: Duration = .seconds(20),
        maxPayload: Int = 64 * 1024,
        maxOutboundBufferSize: Int = 4 * 1024 * 1024,
        outboundBufferPolicy: OutboundBufferPolicy = .disconnect,
        allowedOrigins: [String]? = nil,
        allowPolling: Bool = true,
        allowWebSocket: Bool = true,
        maxPendingSessions: Int? = nil,
        handshakeFilter: (@Sendable (EngineIOHandshakeRequest) -> EngineIOHandshakeDecision)? = nil
    ) {
        self.path = path
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.maxPayload = maxPayload
        self.maxOutboundBufferSize = maxOutboundBufferSize
        self.outboundBufferPolicy = outboundBufferPolicy
        self.allowedOrigins = allowedOrigins
        self.allowPolling = allowPolling
        self.allowWebSocket = allowWebSocket
        self.maxPendingSessions = maxPendingSessions
        self.handshakeFilter = handshakeFilter
    }

    /// The path without a trailing slash, as routes are registered.
    var normalizedPath: String {
        var path = self.path
        if !path.hasPrefix("/") { path = "/" + path }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
