import Hummingbird
public import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

extension EngineIOServer {
    /// Decides whether an HTTP upgrade request opens (or upgrades) a session on this endpoint.
    ///
    /// Returns `nil` when the path is not this endpoint's, `.dontUpgrade` when the request fails
    /// verification (the request then reaches the HTTP routes, which answer with the Engine.IO
    /// error), and `.upgrade` with the session's WebSocket handler otherwise.
    public func shouldUpgrade(
        _ request: HTTPRequest
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
            let handshake = EngineIOHandshakeRequest(headers: request.headerFields, query: query, path: fullPath)
            return .upgrade([:]) { inbound, outbound, _ in
                await self.runNewWebSocketSession(handshake, inbound: inbound, outbound: outbound)
            }
        case .success(.existing(let session)):
            guard session.attachUpgrade() else {
                // Already upgraded (or being upgraded): accept and close at once, as the reference
                // server does, so the client sees a close rather than an HTTP error.
                return .upgrade([:]) { _, _, _ in }
            }
            return .upgrade([:]) { inbound, outbound, _ in
                await self.runUpgrade(session, inbound: inbound, outbound: outbound)
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
        outbound: WebSocketOutboundWriter
    ) async {
        let (session, open) = openSession(request: handshake, transport: .websocket)
        do {
            try await outbound.write(.text("0" + open))
        } catch {
            session.close(reason: .transportError, notifyClient: false)
            return
        }
        await run(session, inbound: inbound, outbound: outbound, upgrading: false)
    }

    private func runUpgrade(_ session: EngineIOSocket, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        await run(session, inbound: inbound, outbound: outbound, upgrading: true)
    }

    /// Runs the WebSocket transport of a session: one task reads inbound messages, one drains the
    /// outbound queue. Whichever ends first (client gone, or session closed by the server) ends both.
    private func run(_ session: EngineIOSocket, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, upgrading: Bool) async {
        let maxPayload = configuration.maxPayload
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard await session.waitForWebSocket() else { return }
                while let batch = await session.nextBatch() {
                    for frame in batch {
                        do {
                            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: frame.isBinary ? .binary : .text, data: frame.data)))
                        } catch {
                            session.close(reason: .transportError, notifyClient: false)
                            return
                        }
                    }
                }
            }
            group.addTask {
                var probing = upgrading
                var reason = EngineIOCloseReason.transportClose
                do {
                    loop: for try await message in inbound.messages(maxSize: maxPayload) {
                        let packet: EngineIOInboundPacket?
                        switch message {
                        case .text(let text): packet = EngineIOInboundPacket(text: Substring(text))
                        case .binary(let bytes): packet = .message(.binary(bytes))
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
                        guard await session.receive(packet) else { return }
                    }
                } catch {
                    reason = .transportError
                }
                if probing {
                    session.abortUpgrade()
                } else {
                    session.close(reason: reason, notifyClient: false)
                }
            }
            group.addTask {
                // A closed session ends the transport even when the writer is stuck on a client that
                // stopped reading: returning here cancels the other tasks, and with them that write.
                await session.waitUntilClosed()
            }
            if upgrading {
                // A client that opens the upgrade WebSocket but never completes it must not hold the
                // session in "upgrading" (which refuses other upgrade attempts) forever.
                group.addTask {
                    try? await Task.sleep(for: Self.upgradeTimeout)
                    if session.isUpgradePending { return }
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                }
            }
            _ = await group.next()
            group.cancelAll()
            if upgrading, session.isUpgradePending { session.abortUpgrade() }
        }
    }
}
