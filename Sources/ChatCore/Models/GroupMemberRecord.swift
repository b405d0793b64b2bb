import Foundation

/// One membership row as the group rules need it: who, with which role, since when.
public struct GroupMemberRecord: Sendable, Equatable {
    public var userID: Int64
    public var role: MemberRole
    public var joinedAt: Date

    public init(userID: Int64, role: MemberRole, joinedAt: Date) {
        self.userID = userID
        self.role = role
        self.joinedAt = joinedAt
    }
}
