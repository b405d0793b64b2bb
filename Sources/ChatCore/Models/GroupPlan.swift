/// What one membership change does to a group, decided by the group rules in ChatCore and applied by the
/// store in the same transaction that read the ``GroupSnapshot``.
public struct GroupPlan: Sendable, Equatable {
    /// The new title, when the change renames the group.
    public var newTitle: String?
    /// Users who join as plain members; their `lastReadSeq` starts at the group's current `lastSeq`.
    public var addedMemberIDs: [Int64]
    public var removedMemberIDs: [Int64]
    /// Remaining members who become admins (the last admin left).
    public var promotedMemberIDs: [Int64]
    /// The last member left: the conversation and its messages are deleted for everyone.
    public var deletesConversation: Bool

    public init(
        newTitle: String? = nil, addedMemberIDs: [Int64] = [], removedMemberIDs: [Int64] = [], promotedMemberIDs: [Int64] = [],
        deletesConversation: Bool = false
    ) {
        self.newTitle = newTitle
        self.addedMemberIDs = addedMemberIDs
        self.removedMemberIDs = removedMemberIDs
        self.promotedMemberIDs = promotedMemberIDs
        self.deletesConversation = deletesConversation
    }

    /// True when applying the plan changes nothing (an idempotent add of existing members).
    public var isEmpty: Bool {
        newTitle == nil && addedMemberIDs.isEmpty && removedMemberIDs.isEmpty && promotedMemberIDs.isEmpty && !deletesConversation
    }
}
