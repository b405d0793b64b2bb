import Hummingbird
public import HummingbirdWebSocket
import Logging
public import NIOCore
import NIOWebSocket

extension EngineIOServer {
    /// Decides whether an HTTP upgrade request opens (or upgrades) a session on this endpoint.
    ///
    /// Returns `nil` when the path is not this endpoint's, `.dontUpgrade` when the request fails
    /// verification or is refused (HummingbirdWebSocket then answers 400, which the `.engineIO` /
    /// `.socketIO` server builders replace with the refusal's own status), and `.upgrade` with the
    /// session's WebSocket handler otherwise.
    ///
    /// - Parameter channel: the connection, for the client's address (`EngineIOHandshakeRequest.remoteAddress`)
    ///   and to answer a refusal properly. Call this on the channel's event loop, as HummingbirdWebSocket's
    ///   synchronous `shouldUpgrade` does.
    public func shouldUpgrade(
        _ request: HTTPRequest,
        channel: (any Channel)? = nil
    ) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>? {
        let fullPath = request.path ?? "/"
        let pathOnly = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard Self.matches(pathOnly, configuration.normalizedPath) else { return nil }
        let query = EngineIOHandshakeRequest.parseQuery(fullPath)
        switch verify(method: request.method, query: query, isUpgrade: true) {
        case .failure:
            return .dontUpgrade
        case .success(.handshake(let transport)):
            guard transport == .websocket else { return .dontUpgrade }
            let handshake = EngineIOHandshakeRequest(
                headers: request.headerFields,
                query: query,
                path: fullPath,
                remoteAddress: channel?.remoteAddress
            )
            if let refusal = admit(handshake, cors: corsHeaders(for: request.headerFields)) {
                if let channel, let handler = try? channel.pipeline.syncOperations.handler(type: EngineIOHTTPChannel.UpgradeRefusal.self) {
                    handler.refusal = refusal
                }
                return .dontUpgrade
            }
            return .upgrade([:]) { inbound, outbound, _ in
                try await self.runNewWebSocketSession(handshake, inbound: inbound, outbound: outbound, channel: channel)
            }
        case .success(.existing(let session)):
            guard session.attachUpgrade() else {
                // Already upgraded (or being upgraded): accept and close at once, as the reference
                // server does, so the client sees a close rather than an HTTP error.
                return .upgrade([:]) { _, _, _ in }
            }
            return .upgrade([:]) { inbound, outbound, _ in
                try await self.run(session, inbound: inbound, outbound: outbound, upgrading: true, channel: channel)
            }
        }
    }

    /// How long a WebSocket may take to complete the upgrade (probe and `5`), as in the reference server.
    static let upgradeTimeout: Duration = .seconds(10)

    static func matches(_ path: String, _ endpoint: String) -> Bool {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return path == endpoint
    }

    private func runNewWebSocketSession(
        _ handshake: EngineIOHandshakeRequest,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        channel: (any Channel)?
    ) async throws {
        guard let (session, open) = openSession(request: handshake, transport: .websocket) else {
            // The pending sessions filled up between `shouldUpgrade` and now: no session, and a close
            // code that tells the client to come back later.
            try? await outbound.close(.unknown(1013), reason: "Server busy")
            return
        }
        do {
            try await outbound.write(.text("0" + open))
        } catch {
            session.close(reason: .transportError, notifyClient: false)
            return
        }
        try await run(session, inbound: inbound, outbound: outbound, upgrading: false, channel: channel)
    }

    /// Runs the WebSocket transport of a session: one task reads inbound messages, one drains the
    /// outbound queue. Whichever ends first (client gone, or session closed by the server) ends both.
    ///
    /// A message over `maxPayload` closes the WebSocket with 1009, as the reference server (`ws`) does:
    /// one frame is checked here; a message split into fragments makes the inbound stream throw, and
    /// that error is rethrown so HummingbirdWebSocket closes with its code. A frame over twice
    /// `maxPayload` is refused by NIO's frame decoder, which sends 1009 and drops the connection.
    ///
    /// Inbound backpressure: the reader awaits `session.receive` (and through it the delegate, which
    /// Socket.IO suspends while `maxPendingEvents` are queued) before it asks for the next message.
    /// HummingbirdWebSocket's inbound stream is a `NIOAsyncChannel` inbound sequence whose producer
    /// (`NIOAsyncChannelHandler`) stops forwarding `read()` once 10 frames are buffered
    /// (the default high watermark), so a reader that does not ask stops the socket reads and TCP
    /// pushes back on the client.
    ///
    /// That reader may be suspended for a while, so it would not see the client go away; watching the
    /// channel's `closeFuture` ends the session as soon as the connection is gone (a reset is seen even
    /// while the socket is not read; a client's FIN behind unread data is not, and the heartbeat, whose
    /// pong is then unread too, ends such a session after `pingTimeout`).
    /// How long a closed session's WebSocket writer may still take to send the frames queued before the close.
    static let closeFlushTimeout = Duration.seconds(1)

    private func run(
        _ session: EngineIOSocket,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        upgrading: Bool,
        channel: (any Channel)?
    ) async throws {
        let maxPayload = configuration.maxPayload
        let inboundError: (any Error)? = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                guard await session.waitForWebSocket() else { return nil }
                while let batch = await session.nextBatch() {
                    for frame in batch {
                        do {
                            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: frame.isBinary ? .binary : .text, data: frame.data)))
                        } catch {
                            session.close(reason: .transportError, notifyClient: false)
                            return nil
                        }
                    }
                }
                return nil
            }
            group.addTask {
                var probing = upgrading
                var failure: (any Error)?
                var reason = EngineIOCloseReason.transportClose
                do {
                    loop: for try await message in inbound.messages(maxSize: maxPayload) {
                        let packet: EngineIOInboundPacket?
                        let size: Int
                        switch message {
                        case .text(let text):
                            size = text.utf8.count
                            packet = EngineIOInboundPacket(text: Substring(text))
                        case .binary(let bytes):
                            size = bytes.readableBytes
                            packet = .message(.binary(bytes))
                        }
                        guard size <= maxPayload else {
                            // A single frame up to the decoder's limit (twice maxPayload) gets here; the
                            // close handshake that follows reads the client's close, so it sees the code.
                            try? await outbound.close(.messageTooLarge, reason: "Max payload size exceeded")
                            reason = .transportError
                            break loop
                        }
                        if probing {
                            // Before the upgrade completes only the probe and the upgrade packet are valid.
                            switch packet {
                            case .some(.ping("probe")):
                                guard session.beginProbe() else { break loop }
                                try await outbound.write(.text("3probe"))
                            case .some(.upgrade):
                                guard session.completeUpgrade() else { break loop }
                                probing = false
                            default:
                                break loop
                            }
                            continue
                        }
                        guard let packet else {
                            reason = .parseError
                            break
                        }
                        guard await session.receive(packet) else { return nil }
                    }
                } catch {
                    reason = .transportError
                    failure = error
                }
                if probing {
                    session.abortUpgrade()
                } else {
                    session.close(reason: reason, notifyClient: false)
                }
                return failure
            }
            group.addTask {
                // A closed session ends the transport even when the writer is stuck on a client that
                // stopped reading: returning here cancels the other tasks, and with them that write. The
                // writer first gets a moment to send what was queued before the close (the acks of a
                // draining server); it normally finishes sooner, and then ends the transport itself.
                await session.waitUntilClosed()
                try? await Task.sleep(for: Self.closeFlushTimeout)
                return nil
            }
            channel?.closeFuture.whenComplete { _ in
                if session.isUpgradePending {
                    session.abortUpgrade()
                } else if session.transport == .websocket {
                    // This WebSocket is the session's transport (a session has one at most).
                    session.close(reason: .transportClose, notifyClient: false)
                }
            }
            if upgrading {
                // A client that opens the upgrade WebSocket but never completes it must not hold the
                // session in "upgrading" (which refuses other upgrade attempts) forever.
                group.addTask {
                    try? await Task.sleep(for: Self.upgradeTimeout)
                    if session.isUpgradePending { return nil }
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    return nil
                }
            }
            var failure = await group.next() ?? nil
            group.cancelAll()
            // The reader closes the session before it returns, so its error may come second.
            for await result in group {
                if failure == nil, let result, !(result is CancellationError) { failure = result }
            }
            if upgrading, session.isUpgradePending { session.abortUpgrade() }
            return failure
        }
        if session.transport == .websocket { session.webSocketTransportEnded() }
        if let inboundError { throw inboundError }
    }
}
