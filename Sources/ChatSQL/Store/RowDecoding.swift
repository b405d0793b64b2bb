import ChatCore
import Foundation
import SQLKit

/// Column lists and row decoders shared by the store's queries, so each entity is read one way.
enum Columns {
    static let user = "u.id AS user_id, u.username, u.display_name, u.last_seen_at, u.created_at AS user_created_at"
    static let message =
        "msg.id AS message_id, msg.conversation_id, msg.seq, msg.sender_id, msg.content, msg.client_message_id, msg.reply_to_seq, msg.created_at AS message_created_at, msg.edited_at, msg.deleted_at"
}

extension SQLRow {
    func decodeUser() throws -> User {
        User(
            id: try decode(column: "user_id", as: Int64.self),
            username: try decode(column: "username", as: String.self),
            displayName: try decode(column: "display_name", as: String.self),
            lastSeenAt: try decode(column: "last_seen_at", as: Int64?.self).map(Date.init(millis:)),
            createdAt: Date(millis: try decode(column: "user_created_at", as: Int64.self)))
    }

    /// A message without its reactions (``SQLChatStore/withReactions(_:on:)`` adds them). A tombstone's text
    /// reads as nil, whatever the column holds.
    func decodeMessage() throws -> Message {
        let deletedAt = try decode(column: "deleted_at", as: Int64?.self).map(Date.init(millis:))
        return Message(
            id: try decode(column: "message_id", as: Int64.self),
            conversationID: try decode(column: "conversation_id", as: Int64.self),
            seq: try decode(column: "seq", as: Int64.self),
            senderID: try decode(column: "sender_id", as: Int64.self),
            content: deletedAt == nil ? try decode(column: "content", as: String.self) : nil,
            clientMessageID: try decode(column: "client_message_id", as: String?.self),
            replyToSeq: try decode(column: "reply_to_seq", as: Int64?.self),
            createdAt: Date(millis: try decode(column: "message_created_at", as: Int64.self)),
            editedAt: try decode(column: "edited_at", as: Int64?.self).map(Date.init(millis:)),
            deletedAt: deletedAt)
    }
}
