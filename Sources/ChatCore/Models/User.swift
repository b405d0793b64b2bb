import Foundation

/// A registered user as every API shows it. It never carries a password hash.
public struct User: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var lastSeenAt: Date?
    public var createdAt: Date

    public init(id: Int64, username: String, displayName: String, lastSeenAt: Date?, createdAt: Date) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.lastSeenAt = lastSeenAt
        self.createdAt = createdAt
    }
}
