import Foundation
import NIOCore
import Synchronization

/// The in-process recovery store: events and dropped sessions of the last `window`, in memory, bounded.
///
/// Offsets are this store's counter behind a random prefix, so an offset from another process (or from before a
/// restart) is never mistaken for one of ours: that client is simply not recovered. Expired events and sessions
/// are dropped as new ones come and, so that a store that went quiet after a wave of drops does not hold them (10,000
/// dropped sockets were ~40 MiB kept until the next drop), by a sweep timed for the oldest one's expiry; the limits of
/// ``SocketIORecoveryConfiguration`` bound it in any case.
public final class SocketIOMemoryRecoveryStore: SocketIORecoveryStore {
    private struct Event {
        let sequence: UInt64
        let packet: SocketIOPacket
        let target: SocketIOBroadcastOptions
        let at: ContinuousClock.Instant
    }

    private struct Session {
        let session: SocketIOPersistedSession
        let at: ContinuousClock.Instant
    }

    private struct State {
        /// Oldest first; sequences are consecutive.
        var events = CircularBuffer<Event>()
        /// The sequence the next event gets; sequence 0 is never used, so "nothing yet" is offset 0.
        var nextSequence: UInt64 = 1
        var sessions: [String: Session] = [:]
        /// Session keys in the order they were persisted, for expiry and the session limit. A key taken or
        /// replaced stays here until it reaches the front, where it is skipped.
        var sessionOrder = CircularBuffer<(key: String, at: ContinuousClock.Instant)>()
        /// Whether a sweep is scheduled; at most one is.
        var sweepScheduled = false
    }

    private let configuration: SocketIORecoveryConfiguration
    private let prefix: String
    private let state = Mutex(State())
    /// Where the sweeps run (they only take the lock).
    private let sweeps = EventLoopTimerQueue.next()

    public init(configuration: SocketIORecoveryConfiguration = .init()) {
        self.configuration = configuration
        self.prefix = String(SessionID.make().prefix(8)) + "-"
    }

    /// Events kept now (for tests and metrics).
    public var eventCount: Int { state.withLock { $0.events.count } }
    /// Dropped sessions kept now (for tests and metrics).
    public var sessionCount: Int { state.withLock { $0.sessions.count } }

    public func append(_ packet: SocketIOPacket, to target: SocketIOBroadcastOptions) async throws -> String {
        let now = ContinuousClock.now
        return state.withLock { state in
            prune(&state, now: now)
            defer { scheduleSweep(&state, now: now) }
            return record(packet, to: target, in: &state, at: now)
        }
    }

    /// All of them under one lock: a change announced to each member of a large group is one step, not one per member.
    public func append(_ events: [(packet: SocketIOPacket, target: SocketIOBroadcastOptions)]) async throws -> [String] {
        let now = ContinuousClock.now
        return state.withLock { state in
            prune(&state, now: now)
            defer { scheduleSweep(&state, now: now) }
            return events.map { record($0.packet, to: $0.target, in: &state, at: now) }
        }
    }

    /// Keeps one event (the packet with its offset, as it is replayed) and returns its offset.
    private func record(_ packet: SocketIOPacket, to target: SocketIOBroadcastOptions, in state: inout State, at now: ContinuousClock.Instant) -> String {
        let sequence = state.nextSequence
        state.nextSequence += 1
        let offset = offset(sequence)
        var recorded = packet
        recorded.data = .array((packet.data?.arrayValue ?? []) + [.string(offset)])
        state.events.append(Event(sequence: sequence, packet: recorded, target: target, at: now))
        if state.events.count > configuration.maxEvents { state.events.removeFirst() }
        return offset
    }

    public func latestOffset() async throws -> String? {
        offset(state.withLock { $0.nextSequence - 1 })
    }

    public func persist(_ session: SocketIOPersistedSession) async throws {
        let now = ContinuousClock.now
        // A session persisted again (its socket's recovery was refused by middleware) keeps its original deadline.
        let age = max(.zero, Duration.seconds(Date().timeIntervalSince(session.disconnectedAt)))
        let at = now - age
        state.withLock { state in
            prune(&state, now: now)
            let key = Self.key(session.pid, session.namespace)
            state.sessions[key] = Session(session: session, at: at)
            state.sessionOrder.append((key, at))
            while state.sessions.count > configuration.maxSessions, let oldest = state.sessionOrder.popFirst() {
                state.sessions[oldest.key] = nil
            }
            scheduleSweep(&state, now: now)
        }
    }

    public func takeSession(pid: String, namespace: String) async throws -> SocketIOPersistedSession? {
        let now = ContinuousClock.now
        return state.withLock { state in
            prune(&state, now: now)
            guard let kept = state.sessions.removeValue(forKey: Self.key(pid, namespace)), now - kept.at <= configuration.window else { return nil }
            return kept.session
        }
    }

    public func missedEvents(of session: SocketIOPersistedSession, after offset: String?) async throws -> [SocketIOPacket]? {
        let base = session.baseOffset.flatMap(sequence(of:))
        let given = offset.flatMap(sequence(of:))
        // An offset we never gave, or none at all without a base: what was missed cannot be told.
        if offset != nil, given == nil { return nil }
        guard let after = [base, given].compactMap({ $0 }).max() else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state -> [SocketIOPacket]? in
            prune(&state, now: now)
            guard after < state.nextSequence else { return nil }
            let first = state.events.first?.sequence ?? state.nextSequence
            // The event right after `after` must still be here (or none was recorded since).
            guard after + 1 >= first else { return nil }
            var missed: [SocketIOPacket] = []
            var index = state.events.index(state.events.startIndex, offsetBy: Int(after + 1 - first))
            while index != state.events.endIndex {
                let event = state.events[index]
                if event.packet.namespace == session.namespace, Self.reaches(event.target, rooms: session.rooms) {
                    guard missed.count < configuration.maxEventsPerSession else { return nil }
                    missed.append(event.packet)
                }
                index = state.events.index(after: index)
            }
            return missed
        }
    }

    /// Whether an event sent to `target` reached a socket in `rooms` (the adapter's rule).
    static func reaches(_ target: SocketIOBroadcastOptions, rooms: Set<String>) -> Bool {
        guard target.except.isDisjoint(with: rooms) else { return false }
        return target.rooms.isEmpty || !target.rooms.isDisjoint(with: rooms)
    }

    private func prune(_ state: inout State, now: ContinuousClock.Instant) {
        let window = configuration.window
        while let first = state.events.first, now - first.at > window { state.events.removeFirst() }
        while let first = state.sessionOrder.first, now - first.at > window {
            state.sessionOrder.removeFirst()
            if let kept = state.sessions[first.key], now - kept.at > window { state.sessions[first.key] = nil }
        }
        // Keys taken or replaced pile up in the order only until they expire; never more than a few windows' worth.
        if state.sessionOrder.count > 2 * configuration.maxSessions + 1024 {
            state.sessionOrder = CircularBuffer(state.sessionOrder.filter { state.sessions[$0.key]?.at == $0.at })
        }
    }

    /// Schedules a sweep for when the oldest kept event or session expires, unless one is scheduled already.
    private func scheduleSweep(_ state: inout State, now: ContinuousClock.Instant) {
        guard !state.sweepScheduled else { return }
        let oldest = [state.events.first?.at, state.sessionOrder.first?.at].compactMap { $0 }.min()
        guard let oldest else { return }
        state.sweepScheduled = true
        // Just past the expiry, so that the sweep finds it expired.
        let due = max(.zero, oldest + configuration.window - now) + .milliseconds(50)
        let nanoseconds = due.components.seconds * 1_000_000_000 + due.components.attoseconds / 1_000_000_000
        sweeps.schedule(in: .nanoseconds(nanoseconds)) { [weak self] in self?.sweep() }
    }

    /// Drops what expired, gives back the session table's room once it is mostly empty, and schedules the next sweep.
    private func sweep() {
        let now = ContinuousClock.now
        state.withLock { state in
            state.sweepScheduled = false
            prune(&state, now: now)
            // A dictionary keeps its capacity when emptied: after a wave of 10,000 drops that is the whole table.
            if state.sessions.capacity > 1024, state.sessions.count * 4 < state.sessions.capacity {
                state.sessions = Dictionary(uniqueKeysWithValues: state.sessions.map { ($0.key, $0.value) })
            }
            scheduleSweep(&state, now: now)
        }
    }

    private static func key(_ pid: String, _ namespace: String) -> String { namespace + "\u{0}" + pid }

    private func offset(_ sequence: UInt64) -> String { prefix + String(sequence) }

    private func sequence(of offset: String) -> UInt64? {
        guard offset.hasPrefix(prefix) else { return nil }
        return UInt64(offset.dropFirst(prefix.count))
    }
}
