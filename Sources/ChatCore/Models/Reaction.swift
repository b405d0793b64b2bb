/// One emoji on a message and the users who reacted with it, in the order they did.
public struct Reaction: Sendable, Equatable {
    public var emoji: String
    public var userIDs: [Int64]

    public init(emoji: String, userIDs: [Int64]) {
        self.emoji = emoji
        self.userIDs = userIDs
    }
}
