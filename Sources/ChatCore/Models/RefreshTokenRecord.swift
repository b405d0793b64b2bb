import Foundation

/// A refresh token as stored: only its SHA-256 hash, never the token itself.
public struct RefreshTokenRecord: Sendable, Equatable {
    public var id: Int64
    public var sessionID: Int64
    public var userID: Int64
    public var tokenHash: String
    public var createdAt: Date
    public var expiresAt: Date
    /// Set once the token has been exchanged for a new pair (or revoked by logout).
    public var usedAt: Date?

    public init(id: Int64, sessionID: Int64, userID: Int64, tokenHash: String, createdAt: Date, expiresAt: Date, usedAt: Date? = nil) {
        self.id = id
        self.sessionID = sessionID
        self.userID = userID
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}
