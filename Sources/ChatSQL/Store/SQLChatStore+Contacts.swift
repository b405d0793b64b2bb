import ChatCore
import SQLKit

extension SQLChatStore {
    /// One query on both engines: the user's memberships (index `conversation_members_user`) joined to every
    /// member of those conversations (the primary key, which starts with `conversation_id`), less anyone on either
    /// side of a block with the user (two primary-key lookups each).
    public func contactIDs(userID: Int64) async throws -> [Int64] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT DISTINCT other.user_id AS contact_id
                FROM conversation_members mine
                JOIN conversation_members other ON other.conversation_id = mine.conversation_id
                WHERE mine.user_id = \(bind: userID) AND other.user_id <> \(bind: userID)
                AND NOT EXISTS (SELECT 1 FROM blocks b
                                WHERE (b.blocker_id = mine.user_id AND b.blocked_id = other.user_id)
                                   OR (b.blocker_id = other.user_id AND b.blocked_id = mine.user_id))
                """
            ).all().map { try $0.decode(column: "contact_id", as: Int64.self) }
        }
    }
}
