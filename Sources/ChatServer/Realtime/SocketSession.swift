import ChatCore
import Foundation
import NIOCore
import SocketIO
import Synchronization

/// Who a connected socket speaks for (user and login), and the timer that disconnects it when its access token
/// expires.
///
/// Created by the authentication middleware and kept in the socket's storage under ``Key``. Renewing with a fresh
/// token of the same user replaces the timer and makes the socket belong to that token's login (the one whose
/// revocation ends it).
final class SocketSession: Sendable {
    /// The socket-storage key of the session.
    enum Key: SocketIOStorageKey {
        typealias Value = SocketSession
    }

    let userID: Int64
    /// The socket's sends queued for the store and not answered yet.
    let sends = SendWindow()
    /// This socket's place in the per-user socket limit.
    private let quotaTicket: SocketQuota.Ticket
    private let state: Mutex<State>

    private struct State {
        var expiresAt: Date
        var onExpiry: (@Sendable () -> Void)?
        /// An event-loop timer rather than a sleeping task: an idle socket holds no task. One of a shared queue's, not
        /// a NIO timer of its own, so that ending it does not search NIO's timer heap (see `EventLoopTimerQueue`).
        var timer: EventLoopTimer?
        var ended = false
        var sessionID: Int64
        var revoked = false
    }

    init(identity: AccessTokenIdentity, quotaTicket: SocketQuota.Ticket) {
        self.userID = identity.userID
        self.quotaTicket = quotaTicket
        self.state = Mutex(State(expiresAt: identity.expiresAt, sessionID: identity.sessionID))
    }

    /// The login the socket's current token belongs to.
    var sessionID: Int64 { state.withLock { $0.sessionID } }

    /// Whether the socket's login was revoked; its events are refused from then on, while it is being disconnected.
    var isRevoked: Bool { state.withLock { $0.revoked } }

    func markRevoked() {
        state.withLock { $0.revoked = true }
    }

    var expiresAt: Date { state.withLock { $0.expiresAt } }

    /// Starts the expiry timer; `onExpiry` runs once the current expiry passes without a renewal.
    func start(onExpiry: @escaping @Sendable () -> Void) {
        state.withLock { state in
            state.onExpiry = onExpiry
            Self.restartTimer(&state)
        }
    }

    /// Moves the expiry to a renewed token's, makes the socket belong to that token's login, and restarts the timer.
    func renew(until expiresAt: Date, sessionID: Int64) {
        state.withLock { state in
            state.expiresAt = expiresAt
            state.sessionID = sessionID
            Self.restartTimer(&state)
        }
    }

    private static func restartTimer(_ state: inout State) {
        state.timer?.cancel()
        state.timer = nil
        guard !state.ended, let onExpiry = state.onExpiry else { return }
        let delay = max(0, state.expiresAt.timeIntervalSinceNow)
        state.timer = EventLoopTimerQueue.next().schedule(in: .milliseconds(Int64((delay * 1000).rounded(.up)))) {
            onExpiry()
        }
    }

    /// Stops the timer for good; the socket is gone.
    func end() {
        quotaTicket.release()
        state.withLock { state in
            state.ended = true
            state.onExpiry = nil
            state.timer?.cancel()
            state.timer = nil
        }
    }
}
