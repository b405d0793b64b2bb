import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func insertUser(_ user: NewUser) async throws -> User {
        let inserted: Bool
        do {
            inserted = try await insertUserIfFree(user)
        } catch ChatError.conflict {
            // Engines with concurrent writers (MySQL) can pass the check in two transactions at once; the unique
            // index then refuses the second insert, and backends report that as a conflict.
            inserted = false
        }
        guard inserted else { throw ChatError.conflict("username is already taken", field: "username") }
        return User(id: user.id, username: user.username, displayName: user.displayName, lastSeenAt: nil, createdAt: user.createdAt)
    }

    private func insertUserIfFree(_ user: NewUser) async throws -> Bool {
        try await backend.transaction { db -> Bool in
            // Checked inside the write transaction; the unique index still guards against other processes.
            let taken = try await db.raw("SELECT id FROM users WHERE username_key = \(bind: user.usernameKey)").first()
            guard taken == nil else { return false }
            try await db.raw(
                """
                INSERT INTO users (id, username, username_key, display_name, display_name_key, password_hash, created_at)
                VALUES (\(bind: user.id), \(bind: user.username), \(bind: user.usernameKey), \(bind: user.displayName),
                        \(bind: user.displayNameKey), \(bind: user.passwordHash), \(bind: user.createdAt.millis))
                """
            ).run()
            return true
        }
    }

    public func credentials(usernameKey: String) async throws -> UserCredentials? {
        try await backend.read { db in
            let row = try await db.raw("SELECT \(unsafeRaw: Columns.user), u.password_hash FROM users u WHERE u.username_key = \(bind: usernameKey)")
                .first()
            return try row.map { UserCredentials(user: try $0.decodeUser(), passwordHash: try $0.decode(column: "password_hash", as: String.self)) }
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await users(ids: [id]).first
    }

    public func users(ids: [Int64]) async throws -> [User] {
        guard !ids.isEmpty else { return [] }
        return try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.user) FROM users u WHERE u.id IN (\(binds: ids))").all().map { try $0.decodeUser() }
        }
    }

    public func searchUsers(prefixKey: String?, afterUsernameKey: String?, limit: Int) async throws -> [User] {
        // Prefix match as a key range (`key >= p AND key < p + U+10FFFF`) so both indexes serve it; a LIKE
        // would need escaping and, on most engines, a scan.
        var query = SQLQueryString("SELECT \(unsafeRaw: Columns.user) FROM users u WHERE 1 = 1")
        if let prefixKey {
            let upper = prefixKey + "\u{10FFFF}"
            query.appendInterpolation(
                """
                 AND ((u.username_key >= \(bind: prefixKey) AND u.username_key < \(bind: upper))
                   OR (u.display_name_key >= \(bind: prefixKey) AND u.display_name_key < \(bind: upper)))
                """ as SQLQueryString)
        }
        if let afterUsernameKey {
            query.appendInterpolation(" AND u.username_key > \(bind: afterUsernameKey)" as SQLQueryString)
        }
        query.appendInterpolation(" ORDER BY u.username_key LIMIT \(literal: limit)" as SQLQueryString)
        let finalQuery = query
        return try await backend.read { db in try await db.raw(finalQuery).all().map { try $0.decodeUser() } }
    }

    public func setLastSeen(userID: Int64, at date: Date) async throws {
        try await backend.transaction { db in
            try await db.raw("UPDATE users SET last_seen_at = \(bind: date.millis) WHERE id = \(bind: userID)").run()
        }
    }

    public func setLastSeen(_ times: [Int64: Date]) async throws {
        guard !times.isEmpty else { return }
        // In id order, so two batches lock the rows in the same order (no deadlock on MariaDB or PostgreSQL).
        let rows = times.sorted { $0.key < $1.key }
        try await backend.transaction { db in
            for (userID, date) in rows {
                try await db.raw("UPDATE users SET last_seen_at = \(bind: date.millis) WHERE id = \(bind: userID)").run()
            }
        }
    }
}
