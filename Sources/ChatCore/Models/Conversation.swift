import Foundation

/// A conversation with its members and latest message, as stored. Per-caller values such as the unread
/// count are derived from it by ``ConversationView``.
public struct Conversation: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var kind: ConversationKind
    public var title: String?
    public var members: [ConversationMember]
    public var lastMessage: Message?
    public var lastSeq: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, kind: ConversationKind, title: String?, members: [ConversationMember], lastMessage: Message?,
        lastSeq: Int64, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.members = members
        self.lastMessage = lastMessage
        self.lastSeq = lastSeq
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public func member(_ userID: Int64) -> ConversationMember? {
        members.first { $0.user.id == userID }
    }
}
