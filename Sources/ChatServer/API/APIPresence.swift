import ChatCore
import Foundation

/// `presence:update`: `{userId, online, lastSeenAt}`.
struct APIPresence: Encodable, Sendable {
    var userId: String
    var online: Bool
    var lastSeenAt: Date

    init(_ change: PresenceChange) {
        userId = String(change.userID)
        online = change.online
        lastSeenAt = change.lastSeenAt
    }
}
