/// What the store read, under the conversation's lock, about a message someone wants to change: the message (with
/// its reactions), the conversation's kind and its members' roles. A ``MessageService`` rule decides from it.
public struct MessageSnapshot: Sendable {
    public var message: Message
    public var conversationKind: ConversationKind
    public var roles: [Int64: MemberRole]

    public init(message: Message, conversationKind: ConversationKind, roles: [Int64: MemberRole]) {
        self.message = message
        self.conversationKind = conversationKind
        self.roles = roles
    }
}
