import Foundation

/// What the store needs to create a conversation. `directKey` is set for direct conversations only and is
/// unique, which is what makes get-or-create race-safe.
public struct NewConversation: Sendable {
    public var id: Int64
    public var kind: ConversationKind
    public var title: String?
    public var directKey: String?
    public var members: [(userID: Int64, role: MemberRole)]
    public var createdAt: Date

    public init(
        id: Int64, kind: ConversationKind, title: String?, directKey: String?, members: [(userID: Int64, role: MemberRole)],
        createdAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.directKey = directKey
        self.members = members
        self.createdAt = createdAt
    }

    /// The unique key of the direct conversation between two users, independent of who asks.
    public static func directKey(_ a: Int64, _ b: Int64) -> String {
        "\(min(a, b)):\(max(a, b))"
    }
}
