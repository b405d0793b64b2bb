/// The Socket.IO event names of API.md.
enum RealtimeEvent {
    static let messageSend = "message:send"
    static let messageNew = "message:new"
    static let messageRead = "message:read"
    static let messageEdit = "message:edit"
    static let messageDelete = "message:delete"
    static let messageUpdated = "message:updated"
    static let messageDeleted = "message:deleted"
    static let messageReactions = "message:reactions"
    static let typing = "typing"
    static let authRenew = "auth:renew"
    static let presenceUpdate = "presence:update"
    static let conversationNew = "conversation:new"
    static let conversationUpdate = "conversation:update"
    static let conversationRemoved = "conversation:removed"
    static let sessionRevoked = "session:revoked"
}
