import Hummingbird
import NIOCore

extension EngineIOServer {
    /// How long a WebSocket may take to complete the upgrade (probe and `5`), as in the reference server.
    static let upgradeTimeout: Duration = .seconds(10)

    /// The answer to a WebSocket upgrade request.
    enum WebSocketUpgrade {
        /// Refused: HTTP answers it (400, or the refusal left in the pipeline's `UpgradeRefusal`).
        case refuse
        /// Accepted: once the upgrade is done, this handler runs the WebSocket.
        case accept(EngineIOWebSocketHandler.Start)
    }

    /// Decides whether an HTTP upgrade request opens (or upgrades) a session on this endpoint; `nil` when the path is
    /// not this endpoint's.
    ///
    /// A request that fails verification or is refused is answered over HTTP: an empty 400,
    /// which the channel's `UpgradeRefusal` replaces with the refusal's own status when there is one.
    ///
    /// - Parameter channel: the connection, for the client's address (`EngineIOHandshakeRequest.remoteAddress`) and to
    ///   answer a refusal properly. Called on the channel's event loop.
    func webSocketUpgrade(_ request: HTTPRequest, channel: any Channel) -> WebSocketUpgrade? {
        let fullPath = request.path ?? "/"
        let pathOnly = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard Self.matches(pathOnly, configuration.normalizedPath) else { return nil }
        let query = EngineIOHandshakeRequest.parseQuery(fullPath)
        switch verify(method: request.method, query: query, isUpgrade: true) {
        case .failure:
            return .refuse
        case .success(.handshake(let transport)):
            guard transport == .websocket else { return .refuse }
            let handshake = EngineIOHandshakeRequest(
                headers: request.headerFields,
                query: query,
                path: fullPath,
                remoteAddress: channel.remoteAddress
            )
            if let refusal = admit(handshake, cors: corsHeaders(for: request.headerFields)) {
                if let handler = try? channel.pipeline.syncOperations.handler(type: EngineIOHTTPChannel.UpgradeRefusal.self) {
                    handler.refusal = refusal
                }
                return .refuse
            }
            return .accept(.handshake(self, handshake))
        case .success(.existing(let session)):
            // Already upgraded (or being upgraded): accept and close at once, as the reference server does, so the
            // client sees a close rather than an HTTP error.
            guard session.attachUpgrade() else { return .accept(.refuse) }
            return .accept(.upgrade(session))
        }
    }

    static func matches(_ path: String, _ endpoint: String) -> Bool {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return path == endpoint
    }
}
