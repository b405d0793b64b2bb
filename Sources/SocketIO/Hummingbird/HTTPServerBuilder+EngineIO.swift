public import HummingbirdCore
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrade for the given Engine.IO endpoints.
    ///
    /// Upgrade requests to an endpoint's path open (or upgrade) sessions; every other request goes to
    /// the application's router. WebSocket messages may be as large as the endpoint's `maxPayload`;
    /// frames up to twice that are still read, so a message over the limit is answered with a close
    /// (1009) the client can read, rather than NIO's frame decoder dropping the connection while the
    /// client is still writing. There is no WebSocket-level ping: Engine.IO has its own heartbeat.
    ///
    /// A connection with no HTTP request in progress for `idleTimeout` is closed: one that never
    /// sends a (complete) request head, and a keep-alive connection idle between requests. A
    /// long-polling GET the server holds counts as in progress, and WebSocket connections are
    /// exempt (Engine.IO's heartbeat watches them). `http1.idleTimeout`, Hummingbird's own, only
    /// applies after a first request, so it does not cover connections that send nothing.
    ///
    /// A request must arrive whole (head and body) within `requestTimeout` of its first byte, or the
    /// connection is closed: a client trickling a head or a body cannot hold a connection. Only the
    /// request's arrival is timed, so a held long-polling GET is not affected. `nil` turns it off.
    ///
    /// ```swift
    /// let app = Application(router: router, server: .engineIO([io.engine]), configuration: ...)
    /// ```
    public static func engineIO(
        _ endpoints: [EngineIOServer],
        http1: HTTP1Channel.Configuration = .init(),
        idleTimeout: Duration? = .seconds(60),
        requestTimeout: Duration? = .seconds(10)
    ) -> HTTPServerBuilder {
        let maxPayload = endpoints.map(\.configuration.maxPayload).max() ?? (1 << 20)
        return HTTPServerBuilder { responder in
            EngineIOHTTPChannel(
                responder: responder,
                endpoints: endpoints,
                http1: http1,
                maxFrameSize: max(2 * maxPayload, 1 << 14),
                idleTimeout: idleTimeout.map { TimeAmount($0) },
                requestTimeout: requestTimeout.map { TimeAmount($0) },
                receiveBufferSize: max(4 * maxPayload, 64 * 1024)
            )
        }
    }
}
