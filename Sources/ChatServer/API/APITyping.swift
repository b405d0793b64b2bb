/// `typing` as relayed to the other members: `{conversationId, userId, isTyping}`.
struct APITyping: Encodable, Sendable {
    var conversationId: String
    var userId: String
    var isTyping: Bool
}
