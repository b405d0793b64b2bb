import Foundation

/// Position in the "most recent activity first" conversation list: the last row of the previous page.
///
/// Kept in the schema's own unit (milliseconds since 1970) so that a client's cursor never goes through a
/// `Date` ↔ integer conversion, which traps on values near `Int64.max`.
public struct ConversationCursor: Sendable, Equatable {
    /// Times a cursor may name: from 1970 to the end of year 9999, the range RFC 3339 can write.
    public static let millisRange: ClosedRange<Int64> = 0...253_402_300_799_999

    public var updatedAtMillis: Int64
    public var id: Int64

    public init(updatedAtMillis: Int64, id: Int64) {
        self.updatedAtMillis = updatedAtMillis
        self.id = id
    }

    /// The cursor after `conversation`.
    public init(after conversation: Conversation) {
        let millis = (conversation.updatedAt.timeIntervalSince1970 * 1000).rounded()
        self.init(updatedAtMillis: Int64(exactly: millis) ?? 0, id: conversation.id)
    }

    /// The opaque text clients pass back: base64url of `millis:id`.
    public var encoded: String {
        Base64URL.encode(Data("\(updatedAtMillis):\(id)".utf8))
    }

    /// Parses a client's cursor; anything malformed or out of range is `VALIDATION_ERROR` on `cursor`.
    public init(decoding text: String) throws {
        let invalid = ChatError.validation("invalid cursor", field: "cursor")
        guard text.utf8.count <= 64, let data = Base64URL.decode(text), let raw = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let millis = Int64(parts[0]), let id = Int64(parts[1]),
            Self.millisRange.contains(millis), id > 0
        else { throw invalid }
        self.init(updatedAtMillis: millis, id: id)
    }
}
