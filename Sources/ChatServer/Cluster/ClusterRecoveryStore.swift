import ChatSQL
import Foundation
import Logging
import NIOCore
import SocketIO
import Synchronization

/// Connection state recovery for a cluster on PostgreSQL: a client recovers on any node, also after its node died
/// (docs/realtime.md, "Across nodes").
///
/// - **Sessions** live in `cluster_recovery_sessions` from the moment a socket connects (a node killed with `-9`
///   cannot write anything when its sockets drop); the drop is recorded by the node when it notices it, or found by
///   any node from the dead process's released advisory lock, or marked by the reaper.
/// - **Events** are kept in this process's memory, as the single-node store keeps them, with what identifies them
///   across nodes: a `message:new`'s conversation and `seq`, a conversation event's cluster-wide id.
/// - **Offsets** (``RecoveryOffset``) name the emitting process, its event count, and the last item of its
///   write-ahead log (``RecoveryUnit``, written by the ``MessageSequencer`` before the item's events leave the node).
///
/// A client back on the process that emitted its offset is replayed every event after it, exactly (as on one node).
/// Anywhere else — another node, or this node after a restart — the offset is turned into what that process had
/// delivered: per conversation the highest `seq`, and the set of conversation events, read from its log. The
/// replay is then this process's events the client's rooms were sent that the client has not had: `message:new` of
/// a higher `seq` and conversation events not in the set, in this process's order. Typing, receipts, presence and
/// message changes are not replayed across processes (state, not history: the client reads it over REST).
/// When that cannot be told in full (this process is behind what the client saw, or did not keep enough), the
/// client is simply not recovered.
final class ClusterRecoveryStore: SocketIORecoveryStore {
    /// Slack added to the window for what is kept and for the horizon of the log: covers a connection that died
    /// silently (the server notices at the next unanswered ping) and how far behind one node's deliveries can run
    /// another's.
    static let margin: Duration = .seconds(120)

    private enum Identity {
        case message(DeliveredMessageKey)
        case event(Int64)
        case other
    }

    private struct Entry {
        let position: UInt64
        let packet: SocketIOPacket
        let target: SocketIOBroadcastOptions
        let identity: Identity
        let at: ContinuousClock.Instant
        /// Milliseconds since 1970, comparable with other nodes' clocks and the database's rows.
        let wall: Int64
    }

    private struct State {
        var entries = CircularBuffer<Entry>()
        var nextPosition: UInt64 = 1
        /// The last logged item emitted: its unit and ordinal.
        var unit: Int64 = 0
        var ordinal = 0
        var nextUnit: Int64 = 1
        /// Per conversation, the highest `seq` emitted by this process.
        var lastSeq: [Int64: Int64] = [:]
        /// When the newest event dropped for the count limit was emitted: replays across nodes need everything since
        /// their horizon.
        var droppedForCount: Int64?
    }

    let instance: Int64
    let started: Int64
    let nodeID: Int
    let configuration: SocketIORecoveryConfiguration
    private let tables: ClusterRecoveryTables
    private let cluster: ClusterStore
    private let logger: Logger
    private let state = Mutex(State())
    /// Brings this node's deliveries of the given conversations up to date (the node's ``MessageSequencer``).
    private let catchUp = Mutex<(@Sendable ([Int64]) async -> Void)?>(nil)

    init(
        instance: Int64, nodeID: Int, tables: ClusterRecoveryTables, cluster: ClusterStore, configuration: SocketIORecoveryConfiguration,
        logger: Logger
    ) {
        self.instance = instance
        self.started = Self.nowMillis()
        self.nodeID = nodeID
        self.tables = tables
        self.cluster = cluster
        self.configuration = configuration
        self.logger = logger
    }

    /// Set once the node's sequencer exists.
    func setCatchUp(_ body: @escaping @Sendable ([Int64]) async -> Void) {
        catchUp.withLock { $0 = body }
    }

    /// How long events are kept here and the log in the database: the window plus ``margin``.
    var retention: Duration { configuration.window + Self.margin }

    // MARK: The write-ahead log

    /// Logs a batch of messages about to be emitted, in their order, and returns its unit. A failed write is
    /// logged and the messages still go out: delivery never waits on recovery.
    func logUnit(messageIDs: [Int64]) async -> RecoveryUnit {
        let position = reserveUnit()
        var ordinals: [Int64: Int] = [:]
        for (index, id) in messageIDs.enumerated() { ordinals[id] = index + 1 }
        do {
            try await tables.logMessages(instance: instance, position: position, messageIDs: messageIDs)
        } catch {
            logger.error("recovery log: write failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        return RecoveryUnit(position: position, ordinals: ordinals, eventID: nil)
    }

    /// Logs a conversation event about to be emitted and returns its unit.
    func logUnit(eventID: Int64) async -> RecoveryUnit {
        let position = reserveUnit()
        do {
            try await tables.logEvent(instance: instance, position: position, eventID: eventID)
        } catch {
            logger.error("recovery log: write failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        return RecoveryUnit(position: position, ordinals: [:], eventID: eventID)
    }

    private func reserveUnit() -> Int64 {
        state.withLock { state in
            defer { state.nextUnit += 1 }
            return state.nextUnit
        }
    }

    /// Forgets sessions past the window and log units past the retention (any node may do it).
    func expire() async throws {
        let now = Self.nowMillis()
        try await tables.expire(sessionsBefore: now - Self.millis(configuration.window), logBefore: now - Self.millis(retention) - Self.millis(Self.margin))
    }

    // MARK: SocketIORecoveryStore

    func append(_ packet: SocketIOPacket, to target: SocketIOBroadcastOptions) async throws -> String {
        let unit = RecoveryUnit.current
        let identity = Self.identity(of: packet, unit: unit)
        let now = ContinuousClock.now
        let wall = Self.nowMillis()
        return state.withLock { state -> String in
            prune(&state, now: now)
            let position = state.nextPosition
            state.nextPosition += 1
            switch identity {
            case .message(let key):
                if let unit, let ordinal = unit.ordinals[key.id] {
                    state.unit = unit.position
                    state.ordinal = ordinal
                }
                state.lastSeq[key.conversationID] = max(state.lastSeq[key.conversationID] ?? 0, key.seq)
            case .event:
                if let unit {
                    state.unit = unit.position
                    state.ordinal = 0
                }
            case .other:
                break
            }
            let offset = RecoveryOffset(instance: instance, started: started, position: position, unit: state.unit, ordinal: state.ordinal).text
            var recorded = packet
            recorded.data = .array((packet.data?.arrayValue ?? []) + [.string(offset)])
            state.entries.append(Entry(position: position, packet: recorded, target: target, identity: identity, at: now, wall: wall))
            if state.entries.count > configuration.maxEvents, let dropped = state.entries.popFirst() {
                state.droppedForCount = dropped.wall
            }
            if state.lastSeq.count > MessageSequencer.capacity { state.lastSeq.removeAll(keepingCapacity: true) }
            return offset
        }
    }

    func latestOffset() async throws -> String? {
        state.withLock { state in
            RecoveryOffset(instance: instance, started: started, position: state.nextPosition - 1, unit: state.unit, ordinal: state.ordinal).text
        }
    }

    func opened(_ session: SocketIOPersistedSession) async throws {
        try await tables.open(Self.row(session, disconnected: false), nodeID: nodeID, instance: instance)
    }

    func persist(_ session: SocketIOPersistedSession) async throws {
        try await tables.dropped(Self.row(session, disconnected: true), nodeID: nodeID, instance: instance)
    }

    func closed(pid: String, namespace: String) async throws {
        try await tables.close(namespace: namespace, pid: pid)
    }

    /// Takes the session; if it is still marked live on a process whose lock the database has not released yet (a
    /// client reconnecting through the proxy within milliseconds of its node's `kill -9`: PostgreSQL ends the dead
    /// connection's backend a moment later), tries again for up to ``liveHolderWait``.
    private func take(namespace: String, pid: String, notBefore: Int64) async throws -> ClusterRecoveryTables.Session? {
        let deadline = ContinuousClock.now + Self.liveHolderWait
        while true {
            if let row = try await tables.take(namespace: namespace, pid: pid, notBefore: notBefore) { return row }
            guard ContinuousClock.now < deadline, try await tables.isLive(namespace: namespace, pid: pid) else { return nil }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// How long a reconnect waits for a live-marked session's process to be seen gone. A socket whose old connection
    /// is merely half-open on a live node waits this long before it connects fresh (that node notices the drop only
    /// at its heartbeat timeout), so it is short.
    static let liveHolderWait: Duration = .seconds(1)

    func takeSession(pid: String, namespace: String) async throws -> SocketIOPersistedSession? {
        let notBefore = Self.nowMillis() - Self.millis(configuration.window)
        guard let row = try await take(namespace: namespace, pid: pid, notBefore: notBefore) else { return nil }
        let rooms = try JSONValue(parsing: row.rooms).arrayValue?.compactMap(\.stringValue) ?? []
        let data = try JSONValue(parsing: row.data)
        // From another process (maybe one that died having committed messages it never announced): this node
        // delivers the user's conversations up to what is committed before it tells what the client missed.
        if row.baseOffset.flatMap(RecoveryOffset.init)?.instance != instance, let userID = SocketOwner(data)?.userID,
            let catchUp = catchUp.withLock({ $0 })
        {
            await catchUp(try await tables.conversations(of: userID))
        }
        return SocketIOPersistedSession(
            namespace: row.namespace, socketID: row.socketID, pid: row.pid, rooms: Set(rooms), data: data,
            baseOffset: row.baseOffset, disconnectedAt: Date(timeIntervalSince1970: Double(row.disconnectedAt ?? Self.nowMillis()) / 1000))
    }

    func missedEvents(of session: SocketIOPersistedSession, after offset: String?) async throws -> [SocketIOPacket]? {
        let given = offset.flatMap(RecoveryOffset.init)
        // An offset in no format of ours: what was missed cannot be told.
        if offset != nil, given == nil { return nil }
        let base = session.baseOffset.flatMap(RecoveryOffset.init)
        guard var from = given ?? base else { return nil }
        if let base, base.instance == from.instance, base.position > from.position { from = base }
        if from.instance == instance {
            switch exactReplay(after: from.position, rooms: session.rooms) {
            case .events(let events): return events
            case .tooMany: return nil
            case .notKept: break
            }
        }
        return try await replayAcross(from: from, session: session)
    }

    // MARK: Replays

    private enum Exact {
        case events([SocketIOPacket])
        case tooMany
        case notKept
    }

    /// Every event after `position` sent to `rooms`, when this process still holds the one right after it.
    private func exactReplay(after position: UInt64, rooms: Set<String>) -> Exact {
        let now = ContinuousClock.now
        return state.withLock { state -> Exact in
            prune(&state, now: now)
            guard position < state.nextPosition else { return .notKept }
            let first = state.entries.first?.position ?? state.nextPosition
            guard position + 1 >= first else { return .notKept }
            var missed: [SocketIOPacket] = []
            for entry in state.entries where entry.position > position && Self.reaches(entry.target, rooms: rooms) {
                guard missed.count < configuration.maxEventsPerSession else { return .tooMany }
                missed.append(entry.packet)
            }
            return .events(missed)
        }
    }

    /// The replay of a client whose offset another process (or an earlier run of this one) gave.
    private func replayAcross(from: RecoveryOffset, session: SocketIOPersistedSession) async throws -> [SocketIOPacket]? {
        guard let userID = SocketOwner(session.data)?.userID else { return nil }
        let now = Self.nowMillis()
        // That process's log is complete from here on: nothing older than the retention, nothing before it started.
        let horizon = max(now - Self.millis(retention), from.started)
        let rooms = session.rooms
        let reached = state.withLock { state in
            Set(state.entries.compactMap { entry -> Int64? in
                guard case .message(let key) = entry.identity, Self.reaches(entry.target, rooms: rooms) else { return nil }
                return key.conversationID
            })
        }
        let conversations = Array(reached.union(try await tables.conversations(of: userID)))
        let delivered = try await tables.deliveredSeqs(
            instance: from.instance, position: from.unit, ordinal: from.ordinal, conversationIDs: conversations, horizon: horizon)
        let seenEvents = try await tables.deliveredEvents(instance: from.instance, position: from.unit)
        let committed = try await cluster.lastSeqs(conversations)
        let limit = configuration.maxEventsPerSession
        return state.withLock { state -> [SocketIOPacket]? in
            // Events this process dropped for its count limit since the horizon may be ones the client missed.
            if let dropped = state.droppedForCount, dropped >= horizon { return nil }
            var firstKept: [Int64: Int64] = [:]
            for entry in state.entries {
                if case .message(let key) = entry.identity, firstKept[key.conversationID] == nil { firstKept[key.conversationID] = key.seq }
            }
            for conversation in conversations {
                let cursor = delivered[conversation] ?? 0
                if let last = state.lastSeq[conversation] {
                    // Behind what the client already had: those messages would reach it again, live.
                    if last < cursor { return nil }
                    // Messages after the client's cursor this process emitted but no longer holds.
                    if last > cursor, (firstKept[conversation] ?? .max) > cursor + 1 { return nil }
                } else if (committed[conversation] ?? 0) > cursor {
                    // This process has not emitted the conversation since it started: it cannot replay it.
                    return nil
                }
            }
            var missed: [SocketIOPacket] = []
            for entry in state.entries where Self.reaches(entry.target, rooms: rooms) {
                switch entry.identity {
                case .message(let key):
                    guard key.seq > (delivered[key.conversationID] ?? 0) else { continue }
                case .event(let id):
                    guard entry.wall >= horizon, !seenEvents.contains(id) else { continue }
                case .other:
                    continue
                }
                guard missed.count < limit else { return nil }
                missed.append(entry.packet)
            }
            return missed
        }
    }

    // MARK: Helpers

    private static func identity(of packet: SocketIOPacket, unit: RecoveryUnit?) -> Identity {
        guard let arguments = packet.data?.arrayValue, let name = arguments.first?.stringValue else { return .other }
        if name == RealtimeEvent.messageNew, arguments.count > 1, let key = DeliveredMessageKey(payload: arguments[1]) { return .message(key) }
        if let eventID = unit?.eventID { return .event(eventID) }
        return .other
    }

    private static func nowMillis() -> Int64 { millis(Date()) }
    private static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    private static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whether an event sent to `target` reached a socket in `rooms` (the adapter's rule).
    private static func reaches(_ target: SocketIOBroadcastOptions, rooms: Set<String>) -> Bool {
        guard target.except.isDisjoint(with: rooms) else { return false }
        return target.rooms.isEmpty || !target.rooms.isDisjoint(with: rooms)
    }

    private func prune(_ state: inout State, now: ContinuousClock.Instant) {
        let keep = retention
        while let first = state.entries.first, now - first.at > keep { state.entries.removeFirst() }
    }

    private static func row(_ session: SocketIOPersistedSession, disconnected: Bool) -> ClusterRecoveryTables.Session {
        ClusterRecoveryTables.Session(
            namespace: session.namespace, pid: session.pid, socketID: session.socketID, data: session.data.jsonString,
            rooms: JSONValue.array(session.rooms.sorted().map(JSONValue.string)).jsonString, baseOffset: session.baseOffset,
            disconnectedAt: disconnected ? Self.millis(session.disconnectedAt) : nil)
    }
}
