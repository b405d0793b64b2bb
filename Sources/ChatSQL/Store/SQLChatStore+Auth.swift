import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func createSession(_ session: AuthSession, firstToken: RefreshTokenRecord) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, user_agent)
                VALUES (\(bind: session.id), \(bind: session.userID), \(bind: session.createdAt.millis),
                        \(bind: session.lastUsedAt.millis), \(bind: session.userAgent))
                """
            ).run()
            try await Self.insertRefreshToken(firstToken, on: db)
        }
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await backend.read { db in
            let row = try await db.raw(
                """
                SELECT id, session_id, user_id, token_hash, created_at, expires_at, used_at
                FROM refresh_tokens WHERE token_hash = \(bind: hash)
                """
            ).first()
            return try row.map {
                RefreshTokenRecord(
                    id: try $0.decode(column: "id", as: Int64.self),
                    sessionID: try $0.decode(column: "session_id", as: Int64.self),
                    userID: try $0.decode(column: "user_id", as: Int64.self),
                    tokenHash: try $0.decode(column: "token_hash", as: String.self),
                    createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)),
                    expiresAt: Date(millis: try $0.decode(column: "expires_at", as: Int64.self)),
                    usedAt: try $0.decode(column: "used_at", as: Int64?.self).map(Date.init(millis:)))
            }
        }
    }

    public func rotateRefreshToken(tokenID: Int64, replacement: RefreshTokenRecord, at date: Date) async throws -> Bool {
        try await backend.transaction { db in
            // The conditional update is the arbiter between concurrent rotations: whoever's replacement id ends up
            // recorded won; everyone else presented a token that was already used. Reading it back works on
            // every engine, unlike affected-row counts.
            try await db.raw(
                """
                UPDATE refresh_tokens SET used_at = \(bind: date.millis), replaced_by = \(bind: replacement.id)
                WHERE id = \(bind: tokenID) AND used_at IS NULL
                """
            ).run()
            let winner = try await db.raw("SELECT replaced_by FROM refresh_tokens WHERE id = \(bind: tokenID)")
                .first(decodingColumn: "replaced_by", as: Int64?.self)
            guard winner == replacement.id else { return false }
            try await Self.insertRefreshToken(replacement, on: db)
            try await db.raw(
                """
                UPDATE auth_sessions SET last_used_at = \(bind: date.millis)
                WHERE id = \(bind: replacement.sessionID) AND last_used_at < \(bind: date.millis - Self.lastUsedResolutionMillis)
                """
            ).run()
            return true
        }
    }

    /// `lastUsedAt` moves at most this often: it is shown to people, who do not need it to the second.
    static let lastUsedResolutionMillis: Int64 = 60_000

    static let sessionColumns = "id, user_id, created_at, last_used_at, user_agent, revoked_at"

    @discardableResult
    public func revokeSession(id: Int64, at date: Date) async throws -> Bool {
        try await backend.transaction { db in
            let live = try await db.raw("SELECT id FROM auth_sessions WHERE id = \(bind: id) AND revoked_at IS NULL").first() != nil
            try await db.raw("UPDATE auth_sessions SET revoked_at = \(bind: date.millis) WHERE id = \(bind: id) AND revoked_at IS NULL").run()
            try await db.raw("UPDATE refresh_tokens SET used_at = \(bind: date.millis) WHERE session_id = \(bind: id) AND used_at IS NULL").run()
            return live
        }
    }

    public func session(id: Int64) async throws -> AuthSession? {
        try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.sessionColumns) FROM auth_sessions WHERE id = \(bind: id)").first()
                .map(Self.decodeSession)
        }
    }

    public func sessions(userID: Int64) async throws -> [AuthSession] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.sessionColumns) FROM auth_sessions
                WHERE user_id = \(bind: userID) AND revoked_at IS NULL ORDER BY created_at DESC, id DESC
                """
            ).all().map(Self.decodeSession)
        }
    }

    public func revokeSessions(userID: Int64, except keeping: Int64?, at date: Date) async throws -> [Int64] {
        try await backend.transaction { db in try await Self.revokeSessions(userID: userID, except: keeping, at: date, on: db) }
    }

    public func changePassword(userID: Int64, passwordHash: String, keepingSession keeping: Int64, at date: Date) async throws -> [Int64] {
        try await backend.transaction { db in
            try await db.raw("UPDATE users SET password_hash = \(bind: passwordHash) WHERE id = \(bind: userID)").run()
            return try await Self.revokeSessions(userID: userID, except: keeping, at: date, on: db)
        }
    }

    /// Reads the live logins first and then revokes exactly those by id, so the answer names every login this
    /// call revoked and none that another call did (a login started meanwhile is neither read nor touched).
    private static func revokeSessions(userID: Int64, except keeping: Int64?, at date: Date, on db: any SQLDatabase) async throws -> [Int64] {
        let keep = keeping ?? -1
        let ids = try await db.raw(
            "SELECT id FROM auth_sessions WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND id <> \(bind: keep)"
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
        var revoked: [Int64] = []
        for id in ids {
            try await db.raw("UPDATE auth_sessions SET revoked_at = \(bind: date.millis) WHERE id = \(bind: id) AND revoked_at IS NULL").run()
            try await db.raw("UPDATE refresh_tokens SET used_at = \(bind: date.millis) WHERE session_id = \(bind: id) AND used_at IS NULL").run()
            revoked.append(id)
        }
        return revoked
    }

    private static func decodeSession(_ row: any SQLRow) throws -> AuthSession {
        let createdAt = Date(millis: try row.decode(column: "created_at", as: Int64.self))
        return AuthSession(
            id: try row.decode(column: "id", as: Int64.self),
            userID: try row.decode(column: "user_id", as: Int64.self),
            createdAt: createdAt,
            // Logins from before migration 2 have no last use recorded; their start is the best answer.
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self).map(Date.init(millis:)) ?? createdAt,
            userAgent: try row.decode(column: "user_agent", as: String?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(millis:)))
    }

    private static func insertRefreshToken(_ token: RefreshTokenRecord, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO refresh_tokens (id, session_id, user_id, token_hash, created_at, expires_at)
            VALUES (\(bind: token.id), \(bind: token.sessionID), \(bind: token.userID), \(bind: token.tokenHash),
                    \(bind: token.createdAt.millis), \(bind: token.expiresAt.millis))
            """
        ).run()
    }
}
