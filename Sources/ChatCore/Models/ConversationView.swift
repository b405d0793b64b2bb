/// A conversation as one member sees it: the unread count is theirs.
public struct ConversationView: Sendable, Equatable {
    public var conversation: Conversation
    public var unreadCount: Int64

    public init(conversation: Conversation, viewerID: Int64) {
        self.conversation = conversation
        let lastRead = conversation.member(viewerID)?.lastReadSeq ?? conversation.lastSeq
        self.unreadCount = max(0, conversation.lastSeq - lastRead)
    }
}
