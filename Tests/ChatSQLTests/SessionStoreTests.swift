import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Testing

/// The store side of API.md "Sessions": details of a login, coalesced last use, revoking others, password change.
@Suite struct SessionStoreTests {
    @Test("a login keeps its User-Agent; lastUsedAt moves on refresh at most once a minute", arguments: TestBackend.all)
    func lastUse(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let user = try await store.insertUser(Fixtures.user("user"))
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let session = AuthSession(id: Fixtures.ids.next(), userID: user.id, createdAt: start, userAgent: "Agent/1 é")
            func token(_ hash: String, at date: Date) -> RefreshTokenRecord {
                RefreshTokenRecord(
                    id: Fixtures.ids.next(), sessionID: session.id, userID: user.id, tokenHash: hash, createdAt: date,
                    expiresAt: date.addingTimeInterval(3600))
            }
            let first = token("h0", at: start)
            try await store.createSession(session, firstToken: first)
            #expect(try await store.session(id: session.id) == session)

            // 30 s later: within the minute, nothing is written.
            let second = token("h1", at: start.addingTimeInterval(30))
            #expect(try await store.rotateRefreshToken(tokenID: first.id, replacement: second, at: start.addingTimeInterval(30)))
            #expect(try await store.session(id: session.id)?.lastUsedAt == start)
            // Two minutes later it moves.
            let later = start.addingTimeInterval(120)
            #expect(try await store.rotateRefreshToken(tokenID: second.id, replacement: token("h2", at: later), at: later))
            #expect(try await store.session(id: session.id)?.lastUsedAt == later)
            #expect(try await store.session(id: session.id)?.userAgent == "Agent/1 é")
        }
    }

    @Test("revoking others and changing the password revoke exactly the other live logins, once", arguments: TestBackend.all)
    func revokeOthers(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let user = try await store.insertUser(Fixtures.user("owner"))
            let other = try await store.insertUser(Fixtures.user("other"))
            var sessions: [AuthSession] = []
            for (i, owner) in [user.id, user.id, user.id, other.id].enumerated() {
                let session = AuthSession(id: Fixtures.ids.next(), userID: owner, createdAt: Date().addingTimeInterval(Double(i)))
                try await store.createSession(
                    session,
                    firstToken: RefreshTokenRecord(
                        id: Fixtures.ids.next(), sessionID: session.id, userID: owner, tokenHash: "t\(i)", createdAt: Date(),
                        expiresAt: Date().addingTimeInterval(60)))
                sessions.append(session)
            }
            #expect(try await store.sessions(userID: user.id).map(\.id) == [sessions[2].id, sessions[1].id, sessions[0].id])
            #expect(try await store.revokeSession(id: sessions[0].id, at: Date()))
            #expect(try await !store.revokeSession(id: sessions[0].id, at: Date()), "already revoked")

            let revoked = try await store.changePassword(userID: user.id, passwordHash: "$2b$04$new", keepingSession: sessions[2].id, at: Date())
            #expect(revoked == [sessions[1].id])
            #expect(try await store.sessions(userID: user.id).map(\.id) == [sessions[2].id])
            #expect(try await store.refreshToken(hash: "t1")?.usedAt != nil, "its refresh tokens are spent")
            #expect(try await store.credentials(usernameKey: "owner")?.passwordHash == "$2b$04$new")
            #expect(try await store.sessions(userID: other.id).count == 1, "other users are untouched")

            #expect(try await store.revokeSessions(userID: user.id, except: sessions[2].id, at: Date()) == [])
            #expect(try await store.revokeSessions(userID: user.id, except: nil, at: Date()) == [sessions[2].id])
            #expect(try await store.sessions(userID: user.id).isEmpty)
        }
    }
}
