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
    private let state: Mutex<State>
    private let makeDelegate: @Sendable (EngineIOSocket) -> any EngineIOSocketDelegate
    private let openPayloadSuffix: String

    private struct State {
        var sessions: [String: EngineIOSocket] = [:]
        /// Sessions that have not called `markEstablished()` yet (counted only with `maxPendingSessions`).
        var pendingCount = 0
        /// Set by ``refuseNewSessions()``: a server going away takes no new sessions.
        var refusingNew = false
    }

    /// Creates an endpoint; `onConnection` is called for every new session and returns the
    /// delegate that receives its messages.
    public init(
        configuration: EngineIOConfiguration = .init(),
        logger: Logger = Logger(label: "EngineIO"),
        onConnection: @escaping @Sendable (EngineIOSocket) -> any EngineIOSocketDelegate
    ) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State())
        self.makeDelegate = onConnection
        self.openPayloadSuffix =
            "\"pingInterval\":\(configuration.pingInterval.milliseconds),\"pingTimeout\":\(configuration.pingTimeout.milliseconds),"
            + "\"maxPayload\":\(configuration.maxPayload)}"
    }

    /// Number of open sessions.
    public var sessionCount: Int { state.withLock { $0.sessions.count } }

    /// Number of sessions that have not called `EngineIOSocket.markEstablished()` yet; always 0 unless
    /// `configuration.maxPendingSessions` is set.
    public var pendingSessionCount: Int { state.withLock { $0.pendingCount } }

    /// The session with this id, if it is open.
    public func session(id: String) -> EngineIOSocket? {
        state.withLock { $0.sessions[id] }
    }

    /// From now on every handshake is refused with 503 "Server busy" (a draining server); open sessions go on.
    public func refuseNewSessions() {
        state.withLock { $0.refusingNew = true }
    }

    /// Closes every session (for shutdown).
    public func closeAll(reason: EngineIOCloseReason = .serverShutdown) {
        let all = state.withLock { Array($0.sessions.values) }
        for session in all { session.close(reason: reason) }
    }

    // MARK: - Sessions

    /// The refusal of a handshake by the application's filter or by `maxPendingSessions`, or nil when it
    /// may proceed. The pending count is only checked here; `openSession` enforces it.
    func admit(_ request: EngineIOHandshakeRequest, cors: HTTPFields = [:]) -> EngineIOHTTPResponse? {
        if state.withLock({ $0.refusingNew }) { return .refusal(.serverBusy, headers: cors) }
        if let filter = configuration.handshakeFilter, case .refuse(let status, let retryAfter) = filter(request) {
            return .refusal(.handshakeRefused, status: status, retryAfter: retryAfter, headers: cors)
        }
        if let limit = configuration.maxPendingSessions, state.withLock({ $0.pendingCount >= limit }) {
            return .refusal(.serverBusy, headers: cors)
        }
        return nil
    }

    /// Creates a session; `nil` when `maxPendingSessions` sessions are already pending.
    func openSession(request: EngineIOHandshakeRequest, transport: EngineIOTransport) -> (EngineIOSocket, String)? {
        let id = SessionID.make()
        let countsAsPending = configuration.maxPendingSessions != nil
        let session = EngineIOSocket(
            id: id,
            request: request,
            transport: transport,
            configuration: configuration,
            logger: logger,
            pending: countsAsPending,
            onEstablished: { [weak self] in
                self?.state.withLock { $0.pendingCount -= 1 }
            },
            onClosed: { [weak self] socket, reason in
                self?.sessionClosed(socket, reason: reason)
            }
        )
        let opened = state.withLock { state -> Bool in
            if let limit = configuration.maxPendingSessions {
                guard state.pendingCount < limit else { return false }
                state.pendingCount += 1
            }
            state.sessions[id] = session
            return true
        }
        guard opened else { return nil }
        session.setDelegate(makeDelegate(session))
        session.startHeartbeat()
        let upgrades = transport == .polling && configuration.allowWebSocket ? "[\"websocket\"]" : "[]"
        let open = "{\"sid\":\"\(id)\",\"upgrades\":\(upgrades),\(openPayloadSuffix)"
        return (session, open)
    }

    private func sessionClosed(_ session: EngineIOSocket, reason: EngineIOCloseReason) {
        logger.debug("session closed", metadata: ["sid": "\(session.id)", "reason": "\(reason)"])
        if session.clearPending() {
            state.withLock { $0.pendingCount -= 1 }
        }
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
        state.withLock { state in
            if state.sessions[session.id] === session { state.sessions[session.id] = nil }
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
