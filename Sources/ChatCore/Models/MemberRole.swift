/// A member's rights in a conversation. Direct conversations have two plain members.
public enum MemberRole: String, Sendable, Codable {
    case admin
    case member
}
