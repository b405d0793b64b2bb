import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func createSession(_ session: AuthSession, firstToken: RefreshTokenRecord) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO auth_sessions (id, user_id, created_at)
                VALUES (\(bind: session.id), \(bind: session.userID), \(bind: session.createdAt.millis))
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
            return true
        }
    }

    public func revokeSession(id: Int64, at date: Date) async throws {
        try await backend.transaction { db in
            try await db.raw("UPDATE auth_sessions SET revoked_at = \(bind: date.millis) WHERE id = \(bind: id) AND revoked_at IS NULL").run()
            try await db.raw("UPDATE refresh_tokens SET used_at = \(bind: date.millis) WHERE session_id = \(bind: id) AND used_at IS NULL").run()
        }
    }

    public func session(id: Int64) async throws -> AuthSession? {
        try await backend.read { db in
            let row = try await db.raw("SELECT id, user_id, created_at, revoked_at FROM auth_sessions WHERE id = \(bind: id)").first()
            return try row.map {
                AuthSession(
                    id: try $0.decode(column: "id", as: Int64.self),
                    userID: try $0.decode(column: "user_id", as: Int64.self),
                    createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)),
                    revokedAt: try $0.decode(column: "revoked_at", as: Int64?.self).map(Date.init(millis:)))
            }
        }
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
