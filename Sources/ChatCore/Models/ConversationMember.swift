/// A user's membership in a conversation, with how far they have read.
public struct ConversationMember: Sendable, Equatable {
    public var user: User
    public var role: MemberRole
    public var lastReadSeq: Int64

    public init(user: User, role: MemberRole, lastReadSeq: Int64) {
        self.user = user
        self.role = role
        self.lastReadSeq = lastReadSeq
    }
}
