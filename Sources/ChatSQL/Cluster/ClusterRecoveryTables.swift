import ChatCore
import Foundation
import SQLKit

/// The SQL of connection state recovery across nodes (PostgreSQL only; docs/realtime.md, "Across nodes").
///
/// - `cluster_recovery_sessions`: a socket's session from the moment it connects (`disconnected_at` null while it
///   is live on its node), so that it survives its node dying. A live row of a node *instance* that is gone (the
///   instance's advisory lock, held by its LISTEN connection, was released: the process died or lost the database)
///   can be taken at once; the reaper also marks such rows dropped.
/// - `cluster_recovery_log`: each instance's write-ahead log of what it delivers, in its delivery order: units
///   (`position`) of message ids (`ordinal` 1, 2, … in delivery order) or one conversation-event id. A unit is
///   written before its first event leaves the node, so whatever a client received is in its node's log.
public struct ClusterRecoveryTables: Sendable {
    /// The first key of every instance's advisory lock (the second is the instance number): "CHAT".
    public static let lockClass: Int32 = 0x4348_4154

    /// A session as stored.
    public struct Session: Sendable {
        public var namespace: String
        public var pid: String
        public var socketID: String
        /// `socket.data`, as JSON text.
        public var data: String
        /// The rooms, as a JSON array of strings.
        public var rooms: String
        public var baseOffset: String?
        /// Milliseconds since 1970 when it dropped; nil while live (or its node died before it could say).
        public var disconnectedAt: Int64?

        public init(namespace: String, pid: String, socketID: String, data: String, rooms: String, baseOffset: String?, disconnectedAt: Int64?) {
            self.namespace = namespace
            self.pid = pid
            self.socketID = socketID
            self.data = data
            self.rooms = rooms
            self.baseOffset = baseOffset
            self.disconnectedAt = disconnectedAt
        }
    }

    let backend: PostgresBackend

    public init(backend: PostgresBackend) {
        self.backend = backend
    }

    // MARK: Sessions

    /// Keeps a live socket's session. A row already there (its drop was recorded first, by a racing disconnect) wins.
    public func open(_ session: Session, nodeID: Int, instance: Int64) async throws {
        try await write { db in
            try await db.raw(
                """
                INSERT INTO cluster_recovery_sessions (namespace, pid, socket_id, data, rooms, base_offset, node_id, instance, disconnected_at)
                VALUES (\(bind: session.namespace), \(bind: session.pid), \(bind: session.socketID), \(bind: session.data), \(bind: session.rooms),
                        \(bind: session.baseOffset), \(bind: nodeID), \(bind: instance), NULL)
                ON CONFLICT (namespace, pid) DO NOTHING
                """
            ).run()
        }
    }

    /// Records that a socket dropped for a transient reason, with its rooms and data as they were then.
    public func dropped(_ session: Session, nodeID: Int, instance: Int64) async throws {
        try await write { db in
            try await db.raw(
                """
                INSERT INTO cluster_recovery_sessions (namespace, pid, socket_id, data, rooms, base_offset, node_id, instance, disconnected_at)
                VALUES (\(bind: session.namespace), \(bind: session.pid), \(bind: session.socketID), \(bind: session.data), \(bind: session.rooms),
                        \(bind: session.baseOffset), \(bind: nodeID), \(bind: instance), \(bind: session.disconnectedAt ?? Date().millis))
                ON CONFLICT (namespace, pid) DO UPDATE SET socket_id = EXCLUDED.socket_id, data = EXCLUDED.data, rooms = EXCLUDED.rooms,
                    base_offset = EXCLUDED.base_offset, node_id = EXCLUDED.node_id, instance = EXCLUDED.instance,
                    disconnected_at = EXCLUDED.disconnected_at
                """
            ).run()
        }
    }

    /// Forgets the session of a socket that left for good.
    public func close(namespace: String, pid: String) async throws {
        try await write { db in
            try await db.raw("DELETE FROM cluster_recovery_sessions WHERE namespace = \(bind: namespace) AND pid = \(bind: pid)").run()
        }
    }

    /// Removes and returns the session if it can be recovered now: it dropped at `notBefore` or later, or it is still
    /// marked live on an instance that is gone (a node killed before it could record the drop). Taken once, on any
    /// node. The drop time of the latter is now.
    public func take(namespace: String, pid: String, notBefore: Int64, now: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded())) async throws -> Session? {
        try await write { db in
            guard
                let row = try await db.raw(
                    """
                    DELETE FROM cluster_recovery_sessions s
                    WHERE s.namespace = \(bind: namespace) AND s.pid = \(bind: pid)
                      AND (s.disconnected_at >= \(bind: notBefore) OR (s.disconnected_at IS NULL AND \(Self.instanceGone("s"))))
                    RETURNING s.namespace, s.pid, s.socket_id, s.data, s.rooms, s.base_offset, s.disconnected_at
                    """
                ).first()
            else { return nil }
            return Session(
                namespace: try row.decode(column: "namespace", as: String.self), pid: try row.decode(column: "pid", as: String.self),
                socketID: try row.decode(column: "socket_id", as: String.self), data: try row.decode(column: "data", as: String.self),
                rooms: try row.decode(column: "rooms", as: String.self), baseOffset: try row.decode(column: "base_offset", as: String?.self),
                disconnectedAt: try row.decode(column: "disconnected_at", as: Int64?.self) ?? now)
        }
    }

    /// Whether the session exists and is marked live (its socket is connected on some process, as far as anyone
    /// recorded).
    public func isLive(namespace: String, pid: String) async throws -> Bool {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT 1 AS live FROM cluster_recovery_sessions
                WHERE namespace = \(bind: namespace) AND pid = \(bind: pid) AND disconnected_at IS NULL
                """
            ).first() != nil
        }
    }

    /// Marks dropped, at `at`, the live sessions a node left behind (it died; or this process took its node id and
    /// the rows are an earlier instance's). Sessions of an instance that still holds its lock are left alone: that
    /// process lives (it only stalled past its lease) and its sockets are still connected.
    public func markDropped(nodeID: Int, exceptInstance: Int64? = nil, at: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded())) async throws {
        try await write { db in
            var sql: SQLQueryString = """
                UPDATE cluster_recovery_sessions s SET disconnected_at = \(bind: at)
                WHERE s.node_id = \(bind: nodeID) AND s.disconnected_at IS NULL AND \(Self.instanceGone("s"))
                """
            if let exceptInstance { sql += " AND s.instance <> \(bind: exceptInstance)" }
            try await db.raw(sql).run()
        }
    }

    /// Forgets sessions that dropped before `sessionsBefore` and log units written before `logBefore`.
    public func expire(sessionsBefore: Int64, logBefore: Int64) async throws {
        try await write { db in
            try await db.raw("DELETE FROM cluster_recovery_sessions WHERE disconnected_at < \(bind: sessionsBefore)").run()
            try await db.raw("DELETE FROM cluster_recovery_log WHERE at < \(bind: logBefore)").run()
        }
    }

    /// A one-row source that makes the statement's own (autocommit) transaction commit without waiting for the WAL
    /// flush, like ``write(_:)`` does with `SET LOCAL` in a transaction of several statements.
    static let noFlushWait: SQLQueryString = "(SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait"

    /// True when the process of the session row `alias` no longer holds its advisory lock: it died, or lost its
    /// database connection (the lock is taken by the LISTEN connection, so it is released with it).
    static func instanceGone(_ alias: String) -> SQLQueryString {
        """
        NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                    AND l.classid::bigint = \(bind: Int64(lockClass)) AND l.objid::bigint = \(ident: alias).instance)
        """
    }

    // MARK: The write-ahead log

    /// Logs the messages of one delivery unit, in delivery order.
    public func logMessages(instance: Int64, position: Int64, messageIDs: [Int64], at: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded())) async throws {
        guard !messageIDs.isEmpty else { return }
        // One statement, one round trip: the log is written before every delivery, on every node.
        try await backend.read { db in
            try await db.raw(
                """
                INSERT INTO cluster_recovery_log (instance, position, ordinal, message_id, at)
                SELECT \(bind: instance), \(bind: position), t.ordinal, t.id, \(bind: at)
                FROM unnest(\(bind: messageIDs)::bigint[]) WITH ORDINALITY AS t(id, ordinal), \(Self.noFlushWait)
                """
            ).run()
        }
    }

    /// Logs one conversation event as a delivery unit.
    public func logEvent(instance: Int64, position: Int64, eventID: Int64, at: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded())) async throws {
        try await backend.read { db in
            try await db.raw(
                """
                INSERT INTO cluster_recovery_log (instance, position, ordinal, event_id, at)
                SELECT \(bind: instance), \(bind: position), 0, \(bind: eventID), \(bind: at) FROM \(Self.noFlushWait)
                """
            ).run()
        }
    }

    /// For each of `conversationIDs`, the highest `seq` the instance had delivered up to `position`/`ordinal`
    /// (inclusive): from its log when it holds the conversation at or after `horizon`, otherwise the last message
    /// created before `horizon` (everything older was delivered before the log's window), or 0.
    public func deliveredSeqs(
        instance: Int64, position: Int64, ordinal: Int, conversationIDs: [Int64], horizon: Int64
    ) async throws -> [Int64: Int64] {
        guard !conversationIDs.isEmpty else { return [:] }
        return try await backend.read { db in
            var result: [Int64: Int64] = [:]
            for row in try await db.raw(
                """
                SELECT m.conversation_id, MAX(m.seq) AS seq FROM cluster_recovery_log l JOIN messages m ON m.id = l.message_id
                WHERE l.instance = \(bind: instance) AND l.at >= \(bind: horizon)
                  AND (l.position < \(bind: position) OR (l.position = \(bind: position) AND l.ordinal <= \(bind: ordinal)))
                  AND m.conversation_id IN (\(binds: conversationIDs))
                GROUP BY m.conversation_id
                """
            ).all() {
                result[try row.decode(column: "conversation_id", as: Int64.self)] = try row.decode(column: "seq", as: Int64.self)
            }
            let rest = conversationIDs.filter { result[$0] == nil }
            guard !rest.isEmpty else { return result }
            for row in try await db.raw(
                """
                SELECT c.id, COALESCE((SELECT m.seq FROM messages m WHERE m.conversation_id = c.id AND m.created_at < \(bind: horizon)
                                       ORDER BY m.seq DESC LIMIT 1), 0) AS seq
                FROM conversations c WHERE c.id IN (\(binds: rest))
                """
            ).all() {
                result[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "seq", as: Int64.self)
            }
            return result
        }
    }

    /// The conversation events the instance had delivered up to `position` (inclusive).
    public func deliveredEvents(instance: Int64, position: Int64) async throws -> Set<Int64> {
        try await backend.read { db in
            Set(
                try await db.raw(
                    """
                    SELECT event_id FROM cluster_recovery_log
                    WHERE instance = \(bind: instance) AND position <= \(bind: position) AND event_id IS NOT NULL
                    """
                ).all().map { try $0.decode(column: "event_id", as: Int64.self) })
        }
    }

    /// The conversations the user is a member of now.
    public func conversations(of userID: Int64) async throws -> [Int64] {
        try await backend.read { db in
            try await db.raw("SELECT conversation_id FROM conversation_members WHERE user_id = \(bind: userID)").all()
                .map { try $0.decode(column: "conversation_id", as: Int64.self) }
        }
    }

    /// Runs one autocommit statement group without waiting for the WAL flush: this state only matters while the
    /// database runs (a database crash ends every socket anyway), and a flush per delivery would cost every node.
    private func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await backend.transaction { db in
            try await db.raw("SET LOCAL synchronous_commit = off").run()
            return try await body(db)
        }
    }
}
