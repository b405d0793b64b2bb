import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func setBlocked(blockerID: Int64, blockedID: Int64, _ blocked: Bool, at date: Date) async throws -> Bool {
        do {
            return try await backend.transaction { db in
                let exists = try await db.raw(
                    "SELECT blocker_id FROM blocks WHERE blocker_id = \(bind: blockerID) AND blocked_id = \(bind: blockedID)"
                ).first() != nil
                guard exists != blocked else { return false }
                if blocked {
                    try await db.raw(
                        "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (\(bind: blockerID), \(bind: blockedID), \(bind: date.millis))"
                    ).run()
                } else {
                    try await db.raw("DELETE FROM blocks WHERE blocker_id = \(bind: blockerID) AND blocked_id = \(bind: blockedID)").run()
                }
                return true
            }
        } catch ChatError.conflict {
            // A concurrent block of the same pair on an engine with concurrent writers: the primary key kept one.
            return false
        }
    }

    public func blockedUsers(blockerID: Int64, after cursor: BlockCursor?, limit: Int) async throws -> [BlockedUser] {
        var query: SQLQueryString = """
            SELECT \(unsafeRaw: Columns.user), b.created_at AS blocked_at FROM blocks b JOIN users u ON u.id = b.blocked_id
            WHERE b.blocker_id = \(bind: blockerID)
            """
        if let cursor {
            query += """
                 AND (b.created_at < \(bind: cursor.blockedAtMillis) OR (b.created_at = \(bind: cursor.blockedAtMillis) AND b.blocked_id < \(bind: cursor.userID)))
                """
        }
        query += " ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT \(literal: limit)"
        let finalQuery = query
        return try await backend.read { db in
            try await db.raw(finalQuery).all().map {
                BlockedUser(user: try $0.decodeUser(), blockedAt: Date(millis: try $0.decode(column: "blocked_at", as: Int64.self)))
            }
        }
    }

    public func blockPairs(among userIDs: [Int64]) async throws -> [BlockPair] {
        let ids = Array(Set(userIDs))
        guard ids.count > 1 else { return [] }
        return try await backend.read { db in
            try await db.raw("SELECT blocker_id, blocked_id FROM blocks WHERE blocker_id IN (\(binds: ids)) AND blocked_id IN (\(binds: ids))")
                .all().map {
                    BlockPair(blockerID: try $0.decode(column: "blocker_id", as: Int64.self), blockedID: try $0.decode(column: "blocked_id", as: Int64.self))
                }
        }
    }
}
