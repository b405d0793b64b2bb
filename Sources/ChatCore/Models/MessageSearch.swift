/// A full-text search over messages, as the store runs it.
public struct MessageSearch: Sendable, Equatable {
    /// Who searches: only conversations they are a member of now are searched.
    public var userID: Int64
    /// Only this conversation, when given.
    public var conversationID: Int64?
    /// The words to find, each whole; the last one also as a prefix (``prefixesLastTerm``). Only letters, marks and
    /// digits.
    public var terms: [String]
    /// Only messages older than this one (by id, which grows with time): the page cursor.
    public var beforeID: Int64?
    public var limit: Int

    /// Whether the last term also matches as a prefix: always, as API.md says, so search-as-you-type finds
    /// something from the first letter on (the SQLite index keeps one-letter prefixes, so this stays a lookup).
    public var prefixesLastTerm: Bool { !terms.isEmpty }

    public init(userID: Int64, conversationID: Int64?, terms: [String], beforeID: Int64?, limit: Int) {
        self.userID = userID
        self.conversationID = conversationID
        self.terms = terms
        self.beforeID = beforeID
        self.limit = limit
    }
}
