/// The outcome of a group operation, carrying everything a transport needs to tell the affected users:
/// the conversation after the change (to render per-member views) and who was added, removed or kept.
///
/// The real-time layer maps it to events: `conversation:new` to ``newRecipientIDs``, `conversation:update` to
/// ``updateRecipientIDs``, `conversation:removed` to ``removedMemberIDs``.
public struct GroupChange: Sendable, Equatable {
    /// Which operation produced the change.
    public enum Reason: String, Sendable, Equatable {
        case created
        case renamed
        case membersAdded
        case memberRemoved
    }

    public var reason: Reason
    public var conversationID: Int64
    /// The user who made the change.
    public var actorID: Int64
    /// The conversation after the change; nil when the last member left and it was deleted.
    public var conversation: Conversation?
    /// Users who became members (at creation: everyone but the creator).
    public var addedMemberIDs: [Int64]
    /// Users who stopped being members (removed or left).
    public var removedMemberIDs: [Int64]
    /// Members made admin because the last admin left.
    public var promotedMemberIDs: [Int64]
    /// Every member after the change, the added ones included.
    public var memberIDs: [Int64]
    /// False when nothing changed (adding only existing members): nobody needs to hear about it.
    public var changed: Bool

    public init(
        reason: Reason, conversationID: Int64, actorID: Int64, conversation: Conversation?, addedMemberIDs: [Int64],
        removedMemberIDs: [Int64], promotedMemberIDs: [Int64], memberIDs: [Int64], changed: Bool
    ) {
        self.reason = reason
        self.conversationID = conversationID
        self.actorID = actorID
        self.conversation = conversation
        self.addedMemberIDs = addedMemberIDs
        self.removedMemberIDs = removedMemberIDs
        self.promotedMemberIDs = promotedMemberIDs
        self.memberIDs = memberIDs
        self.changed = changed
    }

    /// True when the last member left and the group is gone for everyone.
    public var deleted: Bool { conversation == nil }

    /// Users to send `conversation:new`: the members added by this change.
    public var newRecipientIDs: [Int64] { changed ? addedMemberIDs : [] }

    /// Users to send `conversation:update`: members who were already in the group and still are, the actor
    /// included (their other devices). Empty at creation, where the creator has the REST answer.
    public var updateRecipientIDs: [Int64] {
        guard changed, reason != .created else { return [] }
        let added = Set(addedMemberIDs)
        return memberIDs.filter { !added.contains($0) }
    }

    /// The conversation as `userID` sees it (their own unread count), or nil when they are not a member after
    /// the change or the group is gone.
    public func view(for userID: Int64) -> ConversationView? {
        guard let conversation, conversation.member(userID) != nil else { return nil }
        return ConversationView(conversation: conversation, viewerID: userID)
    }
}
