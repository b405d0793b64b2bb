/// Which page of a conversation's history to read.
public enum MessageRange: Sendable, Equatable {
    /// The newest messages.
    case latest
    /// Messages with `seq` below the given one, the nearest first filling the page.
    case before(Int64)
    /// Messages with `seq` above the given one, the nearest first filling the page.
    case after(Int64)
}
