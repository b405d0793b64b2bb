import Foundation

/// The input rules of API.md, in one place so REST and sockets reject the same things the same way.
public enum Validator {
    public static let usernameLength = 3...32
    public static let passwordBytes = 8...72
    public static let displayNameLength = 1...64
    public static let contentLength = 1...4000
    public static let clientMessageIDLength = 1...64
    public static let pageLimit = 1...100
    public static let defaultPageLimit = 50
    /// Sequence numbers and read markers clients may send: up to 2^53 − 1, the largest integer every JSON client
    /// (JavaScript included) holds exactly, so no arithmetic on them can overflow.
    public static let seqRange: ClosedRange<Int64> = 0...9_007_199_254_740_991
    /// User search text, in code points.
    public static let searchQueryLength = 0...64

    private static let usernameCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-".unicodeScalars)

    public static func username(_ value: String) throws -> String {
        guard usernameLength.contains(value.unicodeScalars.count),
            value.unicodeScalars.allSatisfy(usernameCharacters.contains)
        else {
            throw ChatError.validation("username must be 3-32 characters of A-Z a-z 0-9 _ . -", field: "username")
        }
        return value
    }

    /// bcrypt only reads 72 bytes; longer passwords are refused rather than silently truncated. It also stops at
    /// the first NUL byte, so a password with U+0000 would really be its prefix (maybe empty): refused too.
    public static func password(_ value: String, field: String = "password") throws -> String {
        guard passwordBytes.contains(value.utf8.count) else {
            throw ChatError.validation("\(field) must be 8-72 bytes of UTF-8", field: field)
        }
        guard !value.utf8.contains(0) else {
            throw ChatError.validation("\(field) must not contain U+0000", field: field)
        }
        return value
    }

    /// Whether bcrypt would check all of `value`: a login with anything else cannot match a stored hash.
    public static func isUsablePassword(_ value: String) -> Bool {
        passwordBytes.contains(value.utf8.count) && !value.utf8.contains(0)
    }

    /// A `seq`, `before` or `after` from a client, checked before any arithmetic.
    public static func seq(_ value: Int64, field: String) throws -> Int64 {
        guard seqRange.contains(value) else {
            throw ChatError.validation("\(field) must be an integer from 0 to \(seqRange.upperBound)", field: field)
        }
        return value
    }

    /// The lower-cased prefix of a user search, or nil for "everyone".
    public static func searchQuery(_ value: String?) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard searchQueryLength.contains(value.unicodeScalars.count) else {
            throw ChatError.validation("q must be at most 64 characters", field: "q")
        }
        try noNUL(value, field: "q")
        return value.lowercased()
    }

    /// Trimmed display name, or the username when none is given.
    public static func displayName(_ value: String?, default fallback: String) throws -> String {
        guard let value else { return fallback }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard displayNameLength.contains(trimmed.unicodeScalars.count) else {
            throw ChatError.validation("displayName must be 1-64 characters after trimming", field: "displayName")
        }
        try noNUL(trimmed, field: "displayName")
        return trimmed
    }

    public static func content(_ value: String) throws -> String {
        guard contentLength.contains(value.unicodeScalars.count) else {
            throw ChatError.validation("content must be 1-4000 characters", field: "content")
        }
        try noNUL(value, field: "content")
        guard !value.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
            throw ChatError.validation("content must not be only whitespace", field: "content")
        }
        return value
    }

    public static func clientMessageID(_ value: String?) throws -> String? {
        guard let value else { return nil }
        guard clientMessageIDLength.contains(value.unicodeScalars.count) else {
            throw ChatError.validation("clientMessageId must be 1-64 characters", field: "clientMessageId")
        }
        try noNUL(value, field: "clientMessageId")
        return value
    }

    public static func limit(_ value: Int?) throws -> Int {
        guard let value else { return defaultPageLimit }
        guard pageLimit.contains(value) else {
            throw ChatError.validation("limit must be between 1 and 100", field: "limit")
        }
        return value
    }

    /// Ids are opaque strings to clients; one that cannot be ours matches nothing, so it is "not found". Only the
    /// exact form the API hands out matches ("42", never "042" or "+42").
    public static func id(_ value: String, resource: String) throws -> Int64 {
        guard let id = Int64(value), id > 0, String(id) == value else { throw ChatError.notFound("\(resource) not found") }
        return id
    }

    /// U+0000 in stored text is refused everywhere: SQLite's C API would cut the text there on some paths, so
    /// what was stored would differ from what was acknowledged, and no chat needs the character.
    static func noNUL(_ value: String, field: String) throws {
        guard !value.utf8.contains(0) else { throw ChatError.validation("\(field) must not contain U+0000", field: field) }
    }
}
