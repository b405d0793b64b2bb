import Foundation

/// A user going online (their first live connection) or offline (their last one gone).
public struct PresenceChange: Sendable, Equatable {
    public var userID: Int64
    public var online: Bool
    /// When the change happened, in whole milliseconds so it reads back from the store unchanged.
    public var lastSeenAt: Date

    public init(userID: Int64, online: Bool, lastSeenAt: Date) {
        self.userID = userID
        self.online = online
        self.lastSeenAt = lastSeenAt
    }
}
