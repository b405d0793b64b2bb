import ChatCore
import SQLKit

extension SQLChatStore {
    /// The messages with their reactions, read in one query whatever their number (messages without any cost
    /// nothing but their id in the IN list).
    static func withReactions(_ messages: [Message], on db: any SQLDatabase) async throws -> [Message] {
        guard !messages.isEmpty else { return messages }
        let rows = try await db.raw(
            """
            SELECT message_id, emoji, user_id FROM message_reactions
            WHERE message_id IN (\(binds: messages.map(\.id))) ORDER BY message_id, emoji_position, position
            """
        ).all()
        guard !rows.isEmpty else { return messages }
        var byMessage: [Int64: [Reaction]] = [:]
        for row in rows {
            let messageID = try row.decode(column: "message_id", as: Int64.self)
            let emoji = try row.decode(column: "emoji", as: String.self)
            let userID = try row.decode(column: "user_id", as: Int64.self)
            var reactions = byMessage[messageID] ?? []
            // Rows come grouped by emoji in the order the emoji were first used, users in the order they reacted.
            if let index = reactions.firstIndex(where: { $0.emoji.unicodeScalars.elementsEqual(emoji.unicodeScalars) }) {
                reactions[index].userIDs.append(userID)
            } else {
                reactions.append(Reaction(emoji: emoji, userIDs: [userID]))
            }
            byMessage[messageID] = reactions
        }
        return messages.map { message in
            var message = message
            message.reactions = byMessage[message.id] ?? []
            return message
        }
    }
}
