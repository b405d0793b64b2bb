import Synchronization

/// Logins (session ids) recently read from the store as live, so that checking an access token — every socket
/// CONNECT and every REST request — does not read the database each time.
///
/// Correct only where every revocation of the store's logins is made by this process: the ``AuthService`` calls
/// ``invalidate(_:)`` right after a revocation commits and before it returns, so a revoked login fails at once.
/// A read that was under way while a revocation happened is not cached (``generation``): it may have seen the login
/// before the revocation committed. Entries also lapse after ``lifetime``, and there are at most ``capacity``.
public final class LiveSessionCache: Sendable {
    /// A ticket taken before reading the store; ``remember(sessionID:userID:after:)`` keeps the result only if no
    /// revocation happened since.
    public struct Ticket: Sendable {
        fileprivate let generation: UInt64
    }

    private struct Entry {
        let userID: Int64
        let until: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// Moves on every invalidation.
        var generation: UInt64 = 0
    }

    public let capacity: Int
    public let lifetime: Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - capacity: the most logins kept; past it an arbitrary entry makes room (it is read again when next used).
    ///   - lifetime: how long a login read as live is trusted without reading it again. Revocations made through
    ///     the ``AuthService`` end it at once; this bounds how long a change made outside ChatOne goes unseen.
    public init(capacity: Int = 100_000, lifetime: Duration = .seconds(60)) {
        self.capacity = max(1, capacity)
        self.lifetime = lifetime
    }

    /// The user of a login known live, or nil when it has to be read from the store.
    public func userID(ofLiveSession sessionID: Int64) -> Int64? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[sessionID] else { return nil }
            guard entry.until > now else {
                state.entries[sessionID] = nil
                return nil
            }
            return entry.userID
        }
    }

    /// Take before reading a login from the store.
    public func ticket() -> Ticket {
        Ticket(generation: state.withLock { $0.generation })
    }

    /// Remembers a login the store showed live, unless a revocation happened after `ticket` was taken.
    public func remember(sessionID: Int64, userID: Int64, after ticket: Ticket) {
        let until = ContinuousClock.now + lifetime
        state.withLock { state in
            guard state.generation == ticket.generation else { return }
            if state.entries.count >= capacity, state.entries[sessionID] == nil {
                state.entries.remove(at: state.entries.startIndex)
            }
            state.entries[sessionID] = Entry(userID: userID, until: until)
        }
    }

    /// Forgets revoked logins; reads under way keep nothing.
    public func invalidate(_ sessionIDs: [Int64]) {
        state.withLock { state in
            state.generation &+= 1
            for id in sessionIDs { state.entries[id] = nil }
        }
    }

    /// How many logins are cached now.
    public var count: Int { state.withLock { $0.entries.count } }
}
