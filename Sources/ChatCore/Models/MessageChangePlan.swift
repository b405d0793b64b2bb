import Foundation

/// What to do to a message, decided by the service's rules over a ``MessageSnapshot``.
public enum MessageChangePlan: Sendable, Equatable {
    /// Nothing: the request is already satisfied (same content, deleted already, reaction already there or gone).
    case none
    case edit(content: String)
    case delete
    case addReaction(userID: Int64, emoji: String)
    case removeReaction(userID: Int64, emoji: String)
}
