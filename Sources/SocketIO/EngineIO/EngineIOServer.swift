import Hummingbird
public import Logging
import NIOCore
import Synchronization

/// An Engine.IO v4 server: sessions over HTTP long-polling and WebSocket, with upgrade and heartbeat.
///
/// It is transport plumbing only; `SocketIOServer` builds on it. Use it directly for a raw
/// Engine.IO endpoint (the conformance executable's `/engine.io/` echo server does):
///
/// ```swift
/// let engine = EngineIOServer(configuration: .init(path: "/engine.io")) { socket in EchoDelegate() }
/// engine.addRoutes(to: router)                       // polling: GET/POST on the path
/// let app = Application(router: router, server: .engineIO([engine]), ...)  // WebSocket upgrade
/// ```
public final class EngineIOServer: Sendable {
    /// The endpoint's settings.
    public let configuration: EngineIOConfiguration
    let logger: Logger
    private let sessions: Mutex<[String: EngineIOSocket]>
    private let makeDelegate: @Sendable (EngineIOSocket) -> any EngineIOSocketDelegate
    private let openPayloadSuffix: String

    /// Creates an endpoint; `onConnection` is called for every new session and returns the
    /// delegate that receives its messages.
    public init(
        configuration: EngineIOConfiguration = .init(),
        logger: Logger = Logger(label: "EngineIO"),
        onConnection: @escaping @Sendable (EngineIOSocket) -> any EngineIOSocketDelegate
    ) {
        self.configuration = configuration
        self.logger = logger
        self.sessions = Mutex([:])
        self.makeDelegate = onConnection
        self.openPayloadSuffix =
            "\"pingInterval\":\(configuration.pingInterval.milliseconds),\"pingTimeout\":\(configuration.pingTimeout.milliseconds),"
            + "\"maxPayload\":\(configuration.maxPayload)}"
    }

    /// Number of open sessions.
    public var sessionCount: Int { sessions.withLock { $0.count } }

    /// The session with this id, if it is open.
    public func session(id: String) -> EngineIOSocket? {
        sessions.withLock { $0[id] }
    }

    /// Closes every session (for shutdown).
    public func closeAll(reason: EngineIOCloseReason = .serverShutdown) {
        let all = sessions.withLock { Array($0.values) }
        for session in all { session.close(reason: reason) }
    }

    // MARK: - Sessions

    func openSession(request: EngineIOHandshakeRequest, transport: EngineIOTransport) -> (EngineIOSocket, String) {
        let id = SessionID.make()
        let session = EngineIOSocket(
            id: id,
            request: request,
            transport: transport,
            configuration: configuration,
            logger: logger
        ) { [weak self] socket, reason in
            self?.sessionClosed(socket, reason: reason)
        }
        sessions.withLock { $0[id] = session }
        session.setDelegate(makeDelegate(session))
        session.startHeartbeat()
        let upgrades = transport == .polling && configuration.allowWebSocket ? "[\"websocket\"]" : "[]"
        let open = "{\"sid\":\"\(id)\",\"upgrades\":\(upgrades),\(openPayloadSuffix)"
        return (session, open)
    }

    private func sessionClosed(_ session: EngineIOSocket, reason: EngineIOCloseReason) {
        logger.debug("session closed", metadata: ["sid": "\(session.id)", "reason": "\(reason)"])
        if session.transport == .polling, session.hasQueuedFrames {
            // A close packet waits for the client's next GET; keep the session findable until then.
            let delay = configuration.pingTimeout
            Task { [weak self] in
                try? await Task.sleep(for: delay)
                self?.removeSession(session)
            }
        } else {
            removeSession(session)
        }
    }

    func removeSession(_ session: EngineIOSocket) {
        sessions.withLock { sessions in
            if sessions[session.id] === session { sessions[session.id] = nil }
        }
    }

    // MARK: - Request verification

    enum Verified {
        case handshake(EngineIOTransport)
        case existing(EngineIOSocket)
    }

    /// Checks a request as the reference server does, in the same order, so errors match.
    func verify(method: HTTPRequest.Method, query: [String: String], isUpgrade: Bool) -> Result<Verified, EngineIOErrorCode> {
        let transport: EngineIOTransport
        switch query["transport"] {
        case "polling" where configuration.allowPolling: transport = .polling
        case "websocket" where configuration.allowWebSocket: transport = .websocket
        default: return .failure(.unknownTransport)
        }
        if let sid = query["sid"] {
            guard let session = session(id: sid) else { return .failure(.unknownSid) }
            if session.closeIfPingOverdue(), !session.hasQueuedFrames { return .failure(.unknownSid) }
            if !isUpgrade, session.transport != transport { return .failure(.badRequest) }
            if isUpgrade, transport != .websocket { return .failure(.badRequest) }
            return .success(.existing(session))
        }
        guard method == .get else { return .failure(.badHandshakeMethod) }
        if transport == .websocket, !isUpgrade { return .failure(.badRequest) }
        guard query["EIO"] == "4" else { return .failure(.unsupportedProtocolVersion) }
        return .success(.handshake(transport))
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
