public import NIOCore

/// One draft's result in an append batch: what was stored (or found, for a retry) and who should hear of it.
public struct AppendedMessage: Sendable, Equatable {
    public var outcome: AppendOutcome
    /// The conversation's members when the message was stored, read under the conversation's lock in the same
    /// transaction: exactly the audience at that point of the conversation's history, so nothing needs to read
    /// membership again after the commit.
    public var memberIDs: [Int64]
    /// The connection the draft came from (``MessageDraft/origin``), which delivery leaves out.
    public var origin: String?
    /// The message as the transports send it, encoded once when it was committed (see ``MessageAppender``) and
    /// shared by every delivery and the sender's acknowledgement; nil for a retry's existing message.
    public var encoded: ByteBuffer?

    public init(outcome: AppendOutcome, memberIDs: [Int64], origin: String?) {
        self.outcome = outcome
        self.memberIDs = memberIDs
        self.origin = origin
    }

    public var message: Message { outcome.message }
}
