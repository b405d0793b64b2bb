import Foundation
import Logging
import Synchronization

/// Live presence: how many connections each user has, and what happens when that crosses zero.
///
/// A user is online from their first live connection until their last one goes. Each crossing becomes a
/// ``PresenceChange`` that is stored (`lastSeenAt`) and handed to the publisher together with its audience, the
/// users who share a conversation with that user.
///
/// Counting is synchronous under a lock, so ``isOnline(_:)`` answers REST requests without waiting. The follow-up
/// work (store write, audience query, publishing) is asynchronous, and run strictly one change after another per
/// user, in the order the counts changed: a quick connect-then-disconnect can never be published as "offline, then
/// online" and leave contacts with the wrong picture.
///
/// Going offline waits for ``offlineGrace`` with no connection of that user: a phone switching networks or a page
/// reload reconnects within it, and then nothing at all happens (no offline, no second online, no `lastSeenAt`
/// write). During the grace the user still counts as online. `lastSeenAt` writes are coalesced: a change whose
/// successor for the same user is already queued skips its write, since the successor stores a newer time; and the
/// writes of changes of different users that happen together share one transaction (`LastSeenWriter`).
public final class PresenceService: Sendable {
    /// Receives each change and the ids of the users who should hear about it (never the user themself).
    public typealias Publisher = @Sendable (PresenceChange, [Int64]) async -> Void
    /// In a cluster: records this node's change in the shared table and answers whether it is a crossing for the
    /// whole cluster (the user's first socket on any node, or their last one gone); only those are announced.
    public typealias Arbiter = @Sendable (PresenceChange) async throws -> Bool

    private struct State {
        var connections: [Int64: Int] = [:]
        /// The newest queued follow-up per user; the next one waits for it. Removed once it finishes.
        var tails: [Int64: (token: UInt64, task: Task<Void, Never>)] = [:]
        /// Users whose last connection went less than the grace ago: the offline change waiting to be announced,
        /// and the timer that will enqueue it.
        var leaving: [Int64: (token: UInt64, change: PresenceChange, timer: Task<Void, Never>)] = [:]
        /// Changes queued and not yet followed up, per user: a change skips its store write when another is queued.
        var queued: [Int64: Int] = [:]
        var nextToken: UInt64 = 0
        var publisher: Publisher?
        var arbiter: Arbiter?
        var onlineElsewhere: (@Sendable (Int64) -> Bool)?
    }

    private let store: any ChatStore
    /// Batches the `lastSeenAt` writes of changes that happen together.
    private let lastSeen: LastSeenWriter
    private let logger: Logger
    private let state = Mutex(State())
    /// How long a user must be without connections before going offline is announced; zero: at once.
    public let offlineGrace: Duration

    public init(store: any ChatStore, logger: Logger, offlineGrace: Duration = .zero) {
        self.store = store
        self.lastSeen = LastSeenWriter(store: store)
        self.logger = logger
        self.offlineGrace = max(.zero, offlineGrace)
    }

    /// Sets who publishes changes. Changes made before a publisher is set are stored but not published.
    public func setPublisher(_ publisher: @escaping Publisher) {
        state.withLock { $0.publisher = publisher }
    }

    /// Joins a cluster: changes are announced only when `arbiter` says they cross for the whole cluster, and a user
    /// with sockets on other live nodes (`onlineElsewhere`) counts as online here too.
    public func setCluster(arbiter: @escaping Arbiter, onlineElsewhere: @escaping @Sendable (Int64) -> Bool) {
        state.withLock {
            $0.arbiter = arbiter
            $0.onlineElsewhere = onlineElsewhere
        }
    }

    /// Whether the user has at least one live connection right now, or lost their last one less than the grace ago
    /// (what contacts were last told), here or, in a cluster, on another live node.
    public func isOnline(_ userID: Int64) -> Bool {
        let (local, elsewhere) = state.withLock { (($0.connections[userID] ?? 0) > 0 || $0.leaving[userID] != nil, $0.onlineElsewhere) }
        return local || (elsewhere?(userID) ?? false)
    }

    /// Stores and announces a change this node did not count itself: in a cluster, the users of a node that died.
    public func announce(_ change: PresenceChange) async {
        await storeAndPublish(change, superseded: false)
    }

    /// In a cluster, after this node's presence rows were lost (its lease ran out and a live node reaped it, telling
    /// contacts its users went offline): records each user connected here again. Each goes through the user's own
    /// chain, like a connect, so a disconnect counted meanwhile is still followed up after it.
    public func reassertConnected(at date: Date = Date()) {
        state.withLock { state in
            for (userID, count) in state.connections where count > 0 {
                enqueue(PresenceChange(userID: userID, online: true, lastSeenAt: Self.wholeMillis(date)), in: &state)
            }
        }
    }

    /// The number of the user's live connections.
    public func connectionCount(_ userID: Int64) -> Int {
        state.withLock { $0.connections[userID] ?? 0 }
    }

    /// Records a new live connection of the user. Returns true when it made them online (a reconnect within the
    /// grace does not: they never stopped being online).
    @discardableResult
    public func connected(userID: Int64, at date: Date = Date()) -> Bool {
        state.withLock { state in
            let count = (state.connections[userID] ?? 0) + 1
            state.connections[userID] = count
            guard count == 1 else { return false }
            if let leaving = state.leaving.removeValue(forKey: userID) {
                leaving.timer.cancel()
                return false
            }
            enqueue(PresenceChange(userID: userID, online: true, lastSeenAt: Self.wholeMillis(date)), in: &state)
            return true
        }
    }

    /// Records that one of the user's connections went. Returns true when it was their last one: they go offline,
    /// at once or, with a grace, once it passes without a reconnect. A disconnect without a matching connect is
    /// ignored.
    @discardableResult
    public func disconnected(userID: Int64, at date: Date = Date()) -> Bool {
        state.withLock { state in
            guard let count = state.connections[userID], count > 0 else { return false }
            if count > 1 {
                state.connections[userID] = count - 1
                return false
            }
            state.connections[userID] = nil
            let change = PresenceChange(userID: userID, online: false, lastSeenAt: Self.wholeMillis(date))
            guard offlineGrace > .zero else {
                enqueue(change, in: &state)
                return true
            }
            state.nextToken += 1
            let token = state.nextToken
            let grace = offlineGrace
            let timer = Task {
                try? await Task.sleep(for: grace)
                guard !Task.isCancelled else { return }
                self.graceEnded(userID: userID, token: token)
            }
            state.leaving[userID] = (token, change, timer)
            return true
        }
    }

    /// The grace of a user's last disconnect passed without a reconnect: now they are offline.
    private func graceEnded(userID: Int64, token: UInt64) {
        state.withLock { state in
            guard let leaving = state.leaving[userID], leaving.token == token else { return }
            state.leaving[userID] = nil
            enqueue(leaving.change, in: &state)
        }
    }

    /// The users who share at least one conversation with `userID`: everyone who may see their presence.
    public func audience(of userID: Int64) async throws -> [Int64] {
        try await store.contactIDs(userID: userID)
    }

    /// Waits until every change recorded so far has been stored and published. Offline changes still in their
    /// grace are announced now (the server is stopping, so nobody will reconnect to it).
    public func settle() async {
        state.withLock { state in
            let leaving = state.leaving
            state.leaving = [:]
            for (_, entry) in leaving.sorted(by: { $0.value.token < $1.value.token }) {
                entry.timer.cancel()
                enqueue(entry.change, in: &state)
            }
        }
        while let pending = state.withLock({ $0.tails.values.first?.task }) {
            await pending.value
        }
    }

    /// Chains the change's follow-up behind the user's previous one. Called under the lock, so the order of
    /// the chain is exactly the order of the count changes.
    private func enqueue(_ change: PresenceChange, in state: inout State) {
        let previous = state.tails[change.userID]?.task
        state.queued[change.userID, default: 0] += 1
        state.nextToken += 1
        let token = state.nextToken
        let task = Task {
            await previous?.value
            await self.follow(change)
            self.state.withLock { state in
                if state.tails[change.userID]?.token == token { state.tails[change.userID] = nil }
            }
        }
        state.tails[change.userID] = (token, task)
    }

    private func follow(_ change: PresenceChange) async {
        let (superseded, arbiter) = state.withLock { state -> (Bool, Arbiter?) in
            let remaining = (state.queued[change.userID] ?? 1) - 1
            state.queued[change.userID] = remaining > 0 ? remaining : nil
            return (remaining > 0, state.arbiter)
        }
        if let arbiter {
            do {
                // Another node still holds (or already held) a socket of the user: nothing changed for contacts.
                guard try await arbiter(change) else { return }
            } catch {
                logger.error(
                    "cluster presence update failed", metadata: ["user.id": "\(change.userID)", "error": "\(String(reflecting: error))"])
            }
        }
        await storeAndPublish(change, superseded: superseded)
    }

    private func storeAndPublish(_ change: PresenceChange, superseded: Bool) async {
        let metadata: Logger.Metadata = ["user.id": "\(change.userID)", "online": "\(change.online)"]
        do {
            // A later change of this user is queued and will store a newer time: one write for both.
            if !superseded { try await lastSeen.write(userID: change.userID, at: change.lastSeenAt) }
        } catch {
            // Presence still goes out: a missed timestamp is less harmful than contacts with a stale picture.
            logger.error("storing lastSeenAt failed", metadata: metadata.merging(["error": "\(String(reflecting: error))"]) { $1 })
        }
        guard let publisher = state.withLock({ $0.publisher }) else { return }
        let audience: [Int64]
        do {
            audience = try await self.audience(of: change.userID)
        } catch {
            logger.error("presence audience query failed", metadata: metadata.merging(["error": "\(String(reflecting: error))"]) { $1 })
            return
        }
        await publisher(change, audience)
    }

    private static func wholeMillis(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
