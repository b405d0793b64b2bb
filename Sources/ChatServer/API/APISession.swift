import ChatCore
import Foundation

/// A login in `GET /auth/sessions`: `{id, createdAt, lastUsedAt, userAgent|null, current}`.
struct APISession: Encodable, Sendable {
    var id: String
    var createdAt: Date
    var lastUsedAt: Date
    var userAgent: String?
    var current: Bool

    init(_ session: AuthSession, currentSessionID: Int64) {
        id = String(session.id)
        createdAt = session.createdAt
        lastUsedAt = session.lastUsedAt
        userAgent = session.userAgent
        current = session.id == currentSessionID
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(lastUsedAt, forKey: .lastUsedAt)
        // Always present, null when the client sent none, as API.md writes `userAgent|null`.
        try c.encode(userAgent, forKey: .userAgent)
        try c.encode(current, forKey: .current)
    }

    enum CodingKeys: String, CodingKey { case id, createdAt, lastUsedAt, userAgent, current }
}

/// `POST /auth/logout-all`: how many logins were revoked.
struct APIRevokedCount: Encodable, Sendable {
    var revoked: Int
}
