/// Whether a conversation is one-to-one or a group room.
public enum ConversationKind: String, Sendable, Codable {
    case direct
    case group
}
