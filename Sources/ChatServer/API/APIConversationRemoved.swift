/// `{conversationId}`: the answer to leaving a group over REST, and the `conversation:removed` payload.
struct APIConversationRemoved: Encodable, Sendable {
    var conversationId: String
}
