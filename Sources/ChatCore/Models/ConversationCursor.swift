import Foundation

/// Position in the "most recent activity first" conversation list: the last row of the previous page.
public struct ConversationCursor: Sendable, Equatable {
    public var updatedAt: Date
    public var id: Int64

    public init(updatedAt: Date, id: Int64) {
        self.updatedAt = updatedAt
        self.id = id
    }
}
