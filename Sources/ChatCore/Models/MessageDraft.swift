import Foundation

/// A validated, authorized message waiting to be appended. The store gives it its `seq`.
public struct MessageDraft: Sendable {
    public var id: Int64
    public var conversationID: Int64
    public var senderID: Int64
    public var content: String
    public var clientMessageID: String?
    /// The `seq` this message replies to; the store checks, under the conversation's lock, that it exists.
    public var replyToSeq: Int64?
    public var createdAt: Date
    /// Which connection sent it (a socket id), so that delivery can leave that one out; nil over REST.
    public var origin: String?

    public init(
        id: Int64, conversationID: Int64, senderID: Int64, content: String, clientMessageID: String?, replyToSeq: Int64? = nil, createdAt: Date,
        origin: String? = nil
    ) {
        self.replyToSeq = replyToSeq
        self.origin = origin
        self.id = id
        self.conversationID = conversationID
        self.senderID = senderID
        self.content = content
        self.clientMessageID = clientMessageID
        self.createdAt = createdAt
    }
}
