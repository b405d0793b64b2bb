/// A change to a stored message, as it was committed: the message afterwards and who should hear of it.
public struct MessageChange: Sendable, Equatable {
    /// Which real-time event the change is.
    public enum Kind: Sendable, Equatable {
        case updated
        case deleted
        case reactions
    }

    public var kind: Kind
    /// The message after the change (a tombstone after a delete).
    public var message: Message
    /// The conversation's members, read under its lock in the change's transaction.
    public var memberIDs: [Int64]
    /// False when the plan was ``MessageChangePlan/none``: nothing was written and nothing is delivered.
    public var changed: Bool

    public init(kind: Kind, message: Message, memberIDs: [Int64], changed: Bool) {
        self.kind = kind
        self.message = message
        self.memberIDs = memberIDs
        self.changed = changed
    }
}
