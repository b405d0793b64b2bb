import ChatCore
import SQLKit

extension SQLChatStore {
    /// One query on both engines: the user's memberships (index `conversation_members_user`) joined to every
    /// member of those conversations (the primary key, which starts with `conversation_id`).
    public func contactIDs(userID: Int64) async throws -> [Int64] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT DISTINCT other.user_id AS contact_id
                FROM conversation_members mine
                JOIN conversation_members other ON other.conversation_id = mine.conversation_id
                WHERE mine.user_id = \(bind: userID) AND other.user_id <> \(bind: userID)
                """
            ).all().map { try $0.decode(column: "contact_id", as: Int64.self) }
        }
    }
}
