/// `message:read` as told to the other members: `{conversationId, userId, lastReadSeq}`.
struct APIReadReceipt: Encodable, Sendable {
    var conversationId: String
    var userId: String
    var lastReadSeq: Int64
}
