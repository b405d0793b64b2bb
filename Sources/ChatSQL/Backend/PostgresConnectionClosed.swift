/// The pooled PostgreSQL connection that work was running on has closed (the server ended the session, the network
/// dropped it, or the process shut it down), and the work had not finished by itself.
///
/// Whether the server ran what was last sent is unknown: a transaction that was committing reports
/// ``CommitOutcomeUnknown``, anything earlier was rolled back with the session.
public struct PostgresConnectionClosed: Error, CustomStringConvertible {
    public init() {}

    public var description: String { "the connection to PostgreSQL closed" }
}
