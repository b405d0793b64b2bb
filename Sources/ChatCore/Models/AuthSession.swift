import Foundation

/// One login: the chain of refresh tokens it rotates through. Revoking it ends the whole login,
/// which is what reuse of a rotated refresh token does.
public struct AuthSession: Sendable, Equatable {
    /// The longest User-Agent kept, in Unicode code points; longer ones are cut, so a client cannot store
    /// kilobytes per login.
    public static let maxUserAgentLength = 256

    public var id: Int64
    public var userID: Int64
    public var createdAt: Date
    /// When the login last refreshed its tokens (or started). Updated at most about once a minute.
    public var lastUsedAt: Date
    /// The client's User-Agent at login or registration, cut to ``maxUserAgentLength``; nil when it sent none.
    public var userAgent: String?
    public var revokedAt: Date?

    public init(id: Int64, userID: Int64, createdAt: Date, lastUsedAt: Date? = nil, userAgent: String? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt ?? createdAt
        self.userAgent = userAgent
        self.revokedAt = revokedAt
    }

    /// A User-Agent header as stored: trimmed, at most ``maxUserAgentLength`` code points, without control
    /// characters; nil when nothing is left.
    public static func storedUserAgent(_ header: String?) -> String? {
        guard let header else { return nil }
        let visible = String(String.UnicodeScalarView(header.unicodeScalars.filter { !$0.properties.generalCategory.isControl }))
        let trimmed = visible.trimmingCharacters(in: .whitespaces)
        let text = String(String.UnicodeScalarView(trimmed.unicodeScalars.prefix(maxUserAgentLength))).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isControl: Bool {
        switch self {
        case .control, .format, .surrogate, .privateUse, .unassigned: true
        default: false
        }
    }
}
