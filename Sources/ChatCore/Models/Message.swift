import Foundation

/// A stored message. `seq` is its gapless position in the conversation, assigned by the store.
///
/// A deleted message stays as a tombstone: same `seq`, `content` nil, `deletedAt` set, no reactions.
public struct Message: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var conversationID: Int64
    public var seq: Int64
    public var senderID: Int64
    /// The text; nil exactly when the message is deleted.
    public var content: String?
    public var clientMessageID: String?
    /// The `seq` of the message this one replies to, in the same conversation.
    public var replyToSeq: Int64?
    /// Reactions, each emoji in the order it was first used.
    public var reactions: [Reaction]
    public var createdAt: Date
    public var editedAt: Date?
    public var deletedAt: Date?

    public init(
        id: Int64, conversationID: Int64, seq: Int64, senderID: Int64, content: String?, clientMessageID: String?,
        replyToSeq: Int64? = nil, reactions: [Reaction] = [], createdAt: Date, editedAt: Date? = nil, deletedAt: Date? = nil
    ) {
        self.id = id
        self.conversationID = conversationID
        self.seq = seq
        self.senderID = senderID
        self.content = content
        self.clientMessageID = clientMessageID
        self.replyToSeq = replyToSeq
        self.reactions = reactions
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deletedAt = deletedAt
    }

    /// Whether the message is a tombstone.
    public var isDeleted: Bool { deletedAt != nil }
}
