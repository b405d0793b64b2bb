import Foundation

/// A user someone blocked, and since when.
public struct BlockedUser: Sendable, Equatable {
    public var user: User
    public var blockedAt: Date

    public init(user: User, blockedAt: Date) {
        self.user = user
        self.blockedAt = blockedAt
    }
}
