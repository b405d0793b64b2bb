import Foundation

/// Who a verified access token speaks for.
public struct AccessTokenIdentity: Sendable, Equatable {
    public var userID: Int64
    public var sessionID: Int64
    public var expiresAt: Date

    public init(userID: Int64, sessionID: Int64, expiresAt: Date) {
        self.userID = userID
        self.sessionID = sessionID
        self.expiresAt = expiresAt
    }
}
