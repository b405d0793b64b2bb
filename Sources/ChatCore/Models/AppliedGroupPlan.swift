/// The store's answer to a group change: the state it decided on, the plan it applied, and the conversation
/// afterwards (nil when the plan deleted it). All three come from one transaction.
public struct AppliedGroupPlan: Sendable, Equatable {
    public var before: GroupSnapshot
    public var plan: GroupPlan
    public var conversation: Conversation?

    public init(before: GroupSnapshot, plan: GroupPlan, conversation: Conversation?) {
        self.before = before
        self.plan = plan
        self.conversation = conversation
    }
}
