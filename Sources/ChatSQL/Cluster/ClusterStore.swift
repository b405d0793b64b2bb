import ChatCore
import Foundation
import SQLKit

/// The SQL of a cluster node (PostgreSQL only): its lease on a node id, which of its users are online, oversized bus
/// payloads, and the reads a node needs to deliver messages another node stored.
public struct ClusterStore: Sendable {
    /// Node ids fit the 10 node bits of ``IDGenerator``.
    public static let nodeIDs = 0..<1024

    let backend: PostgresBackend

    public init(backend: PostgresBackend) {
        self.backend = backend
    }

    /// Creates the cluster's tables when they are missing.
    public func prepare() async throws {
        try await backend.withMigrationLock { [backend] in
            for statement in ClusterSchema.statements {
                try await backend.transaction { db in try await db.raw(SQLQueryString(statement)).run() }
            }
        }
    }

    // MARK: Node leases

    /// Takes a node id no live node holds, for `lease` from now, for the process `holder`. A node whose lease ran out
    /// lost its id: the id is free again, and whoever takes it clears what the dead node left (``reap(nodeID:)``).
    public func acquireNodeID(lease: Duration, holder: Int64, now: Date = Date()) async throws -> Int {
        let nowMillis = now.millis
        for _ in 0..<20 {
            let taken = try await backend.read { db in
                try await db.raw("SELECT node_id FROM cluster_nodes WHERE lease_until >= \(bind: nowMillis)").all()
                    .map { try $0.decode(column: "node_id", as: Int.self) }
            }
            let free = Self.nodeIDs.filter { !taken.contains($0) }
            guard let candidate = free.randomElement() else { throw ChatError.internal("no free cluster node id: 1024 live nodes") }
            if try await take(nodeID: candidate, holder: holder, lease: lease, now: now) { return candidate }
        }
        throw ChatError.internal("could not lease a cluster node id")
    }

    /// Moves the holder's lease forward. Returns false when the holder no longer has the id: its lease ran out and a
    /// live node reaped it (its users were announced offline) or another process took the id.
    public func renew(nodeID: Int, holder: Int64, lease: Duration, now: Date = Date()) async throws -> Bool {
        let nowMillis = now.millis
        return try await backend.transaction { db in
            // No test of the expiry here: an expired lease not yet reaped is simply renewed. The reaper deletes only
            // while the lease is expired, under the same row lock, so exactly one of the two wins.
            try await db.raw(
                """
                UPDATE cluster_nodes SET lease_until = \(bind: nowMillis + lease.millis)
                WHERE node_id = \(bind: nodeID) AND holder = \(bind: holder) RETURNING node_id
                """
            ).first() != nil
        }
    }

    /// Takes `nodeID` for `holder` if no live node holds it (the row is missing, its lease ran out, or it is the
    /// holder's own). Atomic: of racing processes, one gets the row back.
    public func take(nodeID: Int, holder: Int64, lease: Duration, now: Date = Date()) async throws -> Bool {
        let nowMillis = now.millis
        return try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO cluster_nodes (node_id, lease_until, started_at, holder)
                VALUES (\(bind: nodeID), \(bind: nowMillis + lease.millis), \(bind: nowMillis), \(bind: holder))
                ON CONFLICT (node_id) DO UPDATE SET lease_until = EXCLUDED.lease_until, started_at = EXCLUDED.started_at, holder = EXCLUDED.holder
                WHERE cluster_nodes.lease_until < \(bind: nowMillis) OR cluster_nodes.holder = EXCLUDED.holder
                RETURNING node_id
                """
            ).first() != nil
        }
    }

    /// Gives the id back at a clean shutdown, with the node's presence rows.
    public func release(nodeID: Int) async throws -> [Int64] {
        try await backend.transaction { db in
            let users = try await Self.deletePresence(of: nodeID, on: db)
            try await db.raw("DELETE FROM cluster_nodes WHERE node_id = \(bind: nodeID)").run()
            return try await Self.offline(users, on: db)
        }
    }

    /// Nodes whose lease ran out: dead, or cut off from the database for longer than a lease.
    public func expiredNodes(now: Date = Date()) async throws -> [Int] {
        try await backend.read { db in
            try await db.raw("SELECT node_id FROM cluster_nodes WHERE lease_until < \(bind: now.millis)").all()
                .map { try $0.decode(column: "node_id", as: Int.self) }
        }
    }

    /// Removes a dead node and its presence rows, and returns the users who are now on no live node; nil when the
    /// node is not dead after all (it renewed its lease in time). Exactly one caller reaps a node: the row is deleted
    /// only while its lease is still expired, under the row's lock.
    public func reap(nodeID: Int, now: Date = Date()) async throws -> [Int64]? {
        try await backend.transaction { db in
            let dead = try await db.raw(
                "DELETE FROM cluster_nodes WHERE node_id = \(bind: nodeID) AND lease_until < \(bind: now.millis) RETURNING node_id"
            ).first() != nil
            guard dead else { return nil }
            let users = try await Self.deletePresence(of: nodeID, on: db)
            return try await Self.offline(users, on: db)
        }
    }

    /// Clears presence rows a previous holder of this id left (it died, and this node took its id before anyone
    /// reaped it); returns the users now on no live node.
    public func clearPresence(of nodeID: Int) async throws -> [Int64] {
        try await backend.transaction { db in
            let users = try await Self.deletePresence(of: nodeID, on: db)
            return try await Self.offline(users, on: db)
        }
    }

    // MARK: Presence

    /// Records that the user has a socket on this node. Returns true when they were on no live node before: this
    /// node then announces them online. The user's row is locked first, so joins and leaves of one user on
    /// different nodes take turns and exactly one of them sees each crossing.
    public func join(nodeID: Int, userID: Int64, now: Date = Date()) async throws -> Bool {
        try await backend.transaction { db in
            _ = try await db.raw("SELECT id FROM users WHERE id = \(bind: userID) FOR UPDATE").first()
            let before = try await Self.liveNodeCount(of: userID, now: now, on: db)
            try await db.raw(
                "INSERT INTO cluster_presence (node_id, user_id) VALUES (\(bind: nodeID), \(bind: userID)) ON CONFLICT DO NOTHING"
            ).run()
            return before == 0
        }
    }

    /// Records that the user has no socket left on this node. Returns true when they are now on no live node: this
    /// node then announces them offline.
    public func leave(nodeID: Int, userID: Int64, now: Date = Date()) async throws -> Bool {
        try await backend.transaction { db in
            _ = try await db.raw("SELECT id FROM users WHERE id = \(bind: userID) FOR UPDATE").first()
            try await db.raw("DELETE FROM cluster_presence WHERE node_id = \(bind: nodeID) AND user_id = \(bind: userID)").run()
            return try await Self.liveNodeCount(of: userID, now: now, on: db) == 0
        }
    }

    /// The users online on live nodes other than `nodeID`, by node.
    public func onlineElsewhere(than nodeID: Int, now: Date = Date()) async throws -> [Int: [Int64]] {
        try await backend.read { db in
            var byNode: [Int: [Int64]] = [:]
            for row in try await db.raw(
                """
                SELECT p.node_id, p.user_id FROM cluster_presence p JOIN cluster_nodes n ON n.node_id = p.node_id
                WHERE p.node_id <> \(bind: nodeID) AND n.lease_until >= \(bind: now.millis)
                """
            ).all() {
                byNode[try row.decode(column: "node_id", as: Int.self), default: []].append(try row.decode(column: "user_id", as: Int64.self))
            }
            return byNode
        }
    }

    private static func liveNodeCount(of userID: Int64, now: Date, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS nodes FROM cluster_presence p JOIN cluster_nodes n ON n.node_id = p.node_id
            WHERE p.user_id = \(bind: userID) AND n.lease_until >= \(bind: now.millis)
            """
        ).first(decodingColumn: "nodes", as: Int.self) ?? 0
    }

    private static func deletePresence(of nodeID: Int, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw("DELETE FROM cluster_presence WHERE node_id = \(bind: nodeID) RETURNING user_id").all()
            .map { try $0.decode(column: "user_id", as: Int64.self) }
    }

    /// Of `users`, those with no row left on any node (the caller's transaction just deleted theirs).
    private static func offline(_ users: [Int64], on db: any SQLDatabase) async throws -> [Int64] {
        guard !users.isEmpty else { return [] }
        let still = Set(
            try await db.raw("SELECT DISTINCT user_id FROM cluster_presence WHERE user_id IN (\(binds: users))").all()
                .map { try $0.decode(column: "user_id", as: Int64.self) })
        return users.filter { !still.contains($0) }
    }

    // MARK: Oversized bus payloads

    /// Keeps a payload too large for a notification; the notification then names it.
    public func storePayload(id: Int64, _ payload: String, now: Date = Date()) async throws {
        try await backend.transaction { db in
            try await db.raw(
                "INSERT INTO cluster_payloads (id, payload, created_at) VALUES (\(bind: id), \(bind: payload), \(bind: now.millis))"
            ).run()
        }
    }

    public func payload(id: Int64) async throws -> String? {
        try await backend.read { db in
            try await db.raw("SELECT payload FROM cluster_payloads WHERE id = \(bind: id)").first(decodingColumn: "payload", as: String.self)
        }
    }

    /// Forgets payloads every node has had ample time to read.
    public func prunePayloads(olderThan age: Duration, now: Date = Date()) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM cluster_payloads WHERE created_at < \(bind: now.millis - age.millis)").run()
        }
    }

    // MARK: Reads for delivery

    /// The newest `seq` of each of `conversationIDs` (those that still exist).
    public func lastSeqs(_ conversationIDs: [Int64]) async throws -> [Int64: Int64] {
        guard !conversationIDs.isEmpty else { return [:] }
        return try await backend.read { db in
            var result: [Int64: Int64] = [:]
            for row in try await db.raw("SELECT id, last_seq FROM conversations WHERE id IN (\(binds: conversationIDs))").all() {
                result[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "last_seq", as: Int64.self)
            }
            return result
        }
    }
}
