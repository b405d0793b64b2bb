import Foundation

/// One login: the chain of refresh tokens it rotates through. Revoking it ends the whole login,
/// which is what reuse of a rotated refresh token does.
public struct AuthSession: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: Int64, userID: Int64, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
