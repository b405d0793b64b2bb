import Foundation

/// A validated, authorized message waiting to be appended. The store gives it its `seq`.
public struct MessageDraft: Sendable {
    public var id: Int64
    public var conversationID: Int64
    public var senderID: Int64
    public var content: String
    public var clientMessageID: String?
    public var createdAt: Date

    public init(id: Int64, conversationID: Int64, senderID: Int64, content: String, clientMessageID: String?, createdAt: Date) {
        self.id = id
        self.conversationID = conversationID
        self.senderID = senderID
        self.content = content
        self.clientMessageID = clientMessageID
        self.createdAt = createdAt
    }
}
