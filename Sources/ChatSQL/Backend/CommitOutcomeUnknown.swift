/// The connection was lost while a transaction was committing: it may or may not have committed.
///
/// Thrown by ``SQLBackend/transaction(_:)`` in place of a plain failure, so that a caller that can tell what its
/// transaction wrote (the message append knows the ids it inserted) settles the outcome by reading, never by running
/// the transaction again.
public struct CommitOutcomeUnknown: Error, CustomStringConvertible {
    /// What the driver reported.
    public var underlying: any Error

    public init(underlying: any Error) {
        self.underlying = underlying
    }

    public var description: String { "commit outcome unknown: \(underlying)" }
}
