import Foundation

/// A stored message. `seq` is its gapless position in the conversation, assigned by the store.
public struct Message: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var conversationID: Int64
    public var seq: Int64
    public var senderID: Int64
    public var content: String
    public var clientMessageID: String?
    public var createdAt: Date

    public init(
        id: Int64, conversationID: Int64, seq: Int64, senderID: Int64, content: String, clientMessageID: String?,
        createdAt: Date
    ) {
        self.id = id
        self.conversationID = conversationID
        self.seq = seq
        self.senderID = senderID
        self.content = content
        self.clientMessageID = clientMessageID
        self.createdAt = createdAt
    }
}
