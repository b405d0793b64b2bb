public import Hummingbird
public import HummingbirdCore

extension SocketIOServer {
    /// Adds the long-polling routes at `configuration.engine.path` to `router`.
    /// Works with any request context, so it fits an application's own router.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        engine.addRoutes(to: router)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the WebSocket upgrade for these Socket.IO servers (and raw Engine.IO endpoints).
    ///
    /// `idleTimeout` closes connections with no HTTP request in progress for that long (never
    /// WebSocket connections, nor a held long-polling GET); `requestTimeout` closes a connection whose
    /// request (head and body) takes longer than that to arrive; `nil` turns either off. See
    /// `engineIO(_:http1:idleTimeout:requestTimeout:)`.
    ///
    /// ```swift
    /// Application(router: router, server: .socketIO(io), ...)
    /// ```
    public static func socketIO(
        _ servers: SocketIOServer...,
        engines: [EngineIOServer] = [],
        http1: HTTP1Channel.Configuration = .init(),
        idleTimeout: Duration? = .seconds(60),
        requestTimeout: Duration? = .seconds(10)
    ) -> HTTPServerBuilder {
        .engineIO(servers.map(\.engine) + engines, http1: http1, idleTimeout: idleTimeout, requestTimeout: requestTimeout)
    }
}
