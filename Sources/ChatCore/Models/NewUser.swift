import Foundation

/// What the store needs to create a user; keys are the lower-cased forms used for uniqueness and search.
public struct NewUser: Sendable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var passwordHash: String
    public var createdAt: Date

    public init(id: Int64, username: String, displayName: String, passwordHash: String, createdAt: Date) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }

    /// Usernames are ASCII, so lower-casing is exact and locale-free.
    public var usernameKey: String { username.lowercased() }
    public var displayNameKey: String { displayName.lowercased() }
}
