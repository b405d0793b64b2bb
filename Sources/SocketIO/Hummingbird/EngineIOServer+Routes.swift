public import Hummingbird
public import NIOCore

extension EngineIOServer {
    /// Adds the long-polling routes (GET, POST, and OPTIONS for CORS preflight, plus PUT/DELETE/PATCH
    /// answered with Engine.IO's "Bad handshake method") at `configuration.path` to `router`.
    ///
    /// WebSocket connections do not go through the router: pass this server to
    /// `HTTPServerBuilder.engineIO(_:)` (or `.socketIO(_:)`) as the application's `server:`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let path = RouterPath(stringLiteral: configuration.normalizedPath)
        for method in [HTTPRequest.Method.get, .post, .options, .put, .delete, .patch] {
            router.on(path, method: method) { request, context -> Response in
                try await self.respond(to: request, remoteAddress: (context as? any RemoteAddressRequestContext)?.remoteAddress)
            }
        }
    }

    /// Answers one polling request; usable from a custom route or middleware.
    ///
    /// - Parameter remoteAddress: the client's address for `EngineIOHandshakeRequest.remoteAddress`; by
    ///   default the peer of the connection when the server was built with `.socketIO`/`.engineIO`.
    public func respond(to request: Request, remoteAddress: SocketAddress? = nil) async throws -> Response {
        var request = request
        let answer = await handlePolling(
            method: request.method,
            path: request.uri.description,
            headers: request.headers,
            remoteAddress: remoteAddress ?? EngineIOHTTPChannel.remoteAddress
        ) { limit in
            try await request.collectBody(upTo: limit)
        }
        var headers = answer.headers
        // Hummingbird closes the connection after answering a `Connection: close` request but does
        // not say so; clients with a keep-alive pool (Node's fetch) would then reuse a dead socket.
        if let connection = request.headers[.connection], connection.lowercased().contains("close") {
            headers[.connection] = "close"
        }
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: answer.body))
    }
}
