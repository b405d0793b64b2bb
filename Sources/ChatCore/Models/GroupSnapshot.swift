/// A conversation's membership as read inside the transaction that will change it, with the conversation
/// locked: the rules decide on this state, and no concurrent change can slip in before the plan is applied.
public struct GroupSnapshot: Sendable, Equatable {
    public var conversationID: Int64
    public var kind: ConversationKind
    public var title: String?
    public var lastSeq: Int64
    public var members: [GroupMemberRecord]

    public init(conversationID: Int64, kind: ConversationKind, title: String?, lastSeq: Int64, members: [GroupMemberRecord]) {
        self.conversationID = conversationID
        self.kind = kind
        self.title = title
        self.lastSeq = lastSeq
        self.members = members
    }

    public func member(_ userID: Int64) -> GroupMemberRecord? {
        members.first { $0.userID == userID }
    }
}
