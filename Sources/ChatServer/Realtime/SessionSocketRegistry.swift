import ChatCore
import Foundation
import Logging
import Metrics
import SocketIO
import Synchronization

/// Which sockets each login (session id) holds, so that revoking a login ends its sockets at once.
///
/// Revoking a session: every socket registered under it first gets `session:revoked {sessionId}`, then a
/// server-side disconnect. A socket that registers shortly after its session was revoked (its CONNECT was checked
/// against the database just before the revocation committed) is refused the same way: revoked ids are
/// remembered for ``memory``, far longer than that window.
final class SessionSocketRegistry: SessionRevocationObserver {
    /// How long a revoked session id is remembered for sockets still completing their CONNECT.
    static let memory: Duration = .seconds(60)
    /// The reason disconnect handlers and the log see.
    static let reason = SocketIODisconnectReason("session revoked")

    private struct State {
        var sockets: [Int64: [String: SocketIOSocket]] = [:]
        var revoked: [Int64: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger
    /// `chatone_socket_events_emitted_total{event="session:revoked"}`.
    private let revokedEmitted: Counter?

    init(logger: Logger, revokedEmitted: Counter? = nil) {
        self.logger = logger
        self.revokedEmitted = revokedEmitted
    }

    /// Registers a connected socket under its session. Returns false, registering nothing, when that session was
    /// revoked meanwhile: the caller then ends the socket with ``end(_:sessionID:)``.
    func register(_ socket: SocketIOSocket, sessionID: Int64) -> Bool {
        state.withLock { state in
            guard state.revoked[sessionID] == nil else { return false }
            state.sockets[sessionID, default: [:]][socket.id] = socket
            return true
        }
    }

    /// Forgets a socket (it disconnected).
    func unregister(_ socket: SocketIOSocket, sessionID: Int64) {
        state.withLock { state in
            state.sockets[sessionID]?[socket.id] = nil
            if state.sockets[sessionID]?.isEmpty == true { state.sockets[sessionID] = nil }
        }
    }

    /// Moves a socket to another session of the same user (it renewed with that session's token). Returns false
    /// when the new session was revoked meanwhile.
    func move(_ socket: SocketIOSocket, from old: Int64, to new: Int64) -> Bool {
        guard old != new else { return true }
        return state.withLock { state in
            guard state.revoked[new] == nil else { return false }
            state.sockets[old]?[socket.id] = nil
            if state.sockets[old]?.isEmpty == true { state.sockets[old] = nil }
            state.sockets[new, default: [:]][socket.id] = socket
            return true
        }
    }

    func sessionsRevoked(_ sessionIDs: [Int64]) {
        let now = ContinuousClock.now
        let doomed = state.withLock { state -> [(Int64, SocketIOSocket)] in
            state.revoked = state.revoked.filter { now - $0.value < Self.memory }
            var doomed: [(Int64, SocketIOSocket)] = []
            for id in sessionIDs {
                state.revoked[id] = now
                if let sockets = state.sockets.removeValue(forKey: id) { doomed += sockets.values.map { (id, $0) } }
            }
            return doomed
        }
        for (sessionID, socket) in doomed { end(socket, sessionID: sessionID) }
    }

    /// Tells the socket its login was revoked, then disconnects it. The event is queued before the DISCONNECT
    /// packet on the same connection, so the client always sees it first.
    func end(_ socket: SocketIOSocket, sessionID: Int64) {
        socket[SocketSession.Key.self]?.markRevoked()
        logger.info("login revoked; disconnecting its socket", metadata: ["session.id": "\(sessionID)", "socket.id": "\(socket.id)"])
        socket.emit(RealtimeEvent.sessionRevoked, .object(["sessionId": .string(String(sessionID))]))
        revokedEmitted?.increment()
        socket.disconnect(reason: Self.reason)
    }
}
