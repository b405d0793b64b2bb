/// The payloads clients send, as API.md lists them. Decoding failures become `VALIDATION_ERROR`s naming the field.
enum SocketPayload {
    /// `message:send`: to a conversation, or to a user (their direct conversation).
    struct Send: Decodable {
        var conversationId: String?
        var toUserId: String?
        var content: String
        var clientMessageId: String?
        var replyToSeq: ClientInteger?
    }

    /// `message:edit`.
    struct Edit: Decodable {
        var conversationId: String
        var seq: ClientInteger
        var content: String
    }

    /// `message:delete`.
    struct Delete: Decodable {
        var conversationId: String
        var seq: ClientInteger
    }

    /// `message:read`.
    struct Read: Decodable {
        var conversationId: String
        var seq: ClientInteger
    }

    /// `typing`.
    struct Typing: Decodable {
        var conversationId: String
        var isTyping: Bool
    }

    /// `auth:renew`.
    struct Renew: Decodable {
        var token: String
    }
}
