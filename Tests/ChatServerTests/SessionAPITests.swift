import ChatCore
import ChatTestSupport
import Foundation
import Hummingbird
import Testing

/// API.md "Sessions": listing, revoking one, revoking all others, changing the password.
@Suite("REST: sessions")
struct SessionAPITests {
    /// Logs in with a User-Agent and returns the session (tokens) of that login.
    static func login(_ api: APIClient, _ username: String, password: String = "correct horse", agent: String? = nil) async throws
        -> APIClient.Session
    {
        var headers: HTTPFields = [:]
        if let agent { headers[.userAgent] = agent }
        let response = try await api.request(
            .post, "/api/v1/auth/login", body: api.json(["username": username, "password": password]), headers: headers)
        try #require(response.status == 200, "login: \(response.raw)")
        return try api.session(response)
    }

    static func sessions(_ api: APIClient, _ caller: APIClient.Session) async throws -> [JSON] {
        let response = try await api.request(.get, "/api/v1/auth/sessions", token: caller.accessToken)
        try #require(response.status == 200, "sessions: \(response.raw)")
        return try #require(response.data?.array)
    }

    static func isLive(_ api: APIClient, _ session: APIClient.Session) async throws -> Bool {
        let status = try await api.request(.get, "/api/v1/auth/me", token: session.accessToken).status
        #expect(status == 200 || status == 401)
        return status == 200
    }

    @Test("GET /auth/sessions lists the caller's logins newest first, marks the current one, and shows the User-Agent", arguments: TestBackend.servers)
    func listSessions(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let first = try await api.register("sam")
            let phone = try await Self.login(api, "sam", agent: "ChatOne-Test/1.0 (phone)")
            let laptop = try await Self.login(api, "sam", agent: " \t" + String(repeating: "é", count: 300))
            _ = try await api.register("other")

            let listed = try await Self.sessions(api, phone)
            #expect(listed.count == 3)
            for session in listed {
                #expect(Set(session.object.map { Array($0.keys) } ?? []) == ["id", "createdAt", "lastUsedAt", "userAgent", "current"])
                #expect(session["id"]?.string?.isEmpty == false)
                #expect(session["createdAt"]?.string != nil && session["lastUsedAt"]?.string != nil)
            }
            #expect(listed.map { $0["current"]?.bool } == [false, true, false])
            // Newest first: laptop, phone, then the registration's login (no User-Agent in the test client).
            #expect(listed[1]["userAgent"]?.string == "ChatOne-Test/1.0 (phone)")
            #expect(listed[0]["userAgent"]?.string == String(repeating: "é", count: 256), "cut to 256 code points, control characters dropped")
            #expect(listed[2]["userAgent"]?.isNull == true)
            let fromLaptop = try await Self.sessions(api, laptop)
            #expect(fromLaptop.map { $0["current"]?.bool } == [true, false, false])
            #expect(fromLaptop.map { $0["id"]?.string } == listed.map { $0["id"]?.string })
            _ = first
        }
    }

    @Test("DELETE /auth/sessions/{id} revokes that login at once; anything not the caller's live login is 404", arguments: TestBackend.servers)
    func deleteSession(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let a = try await api.register("ann")
            let b = try await Self.login(api, "ann")
            let stranger = try await api.register("stranger")
            let ids = try await Self.sessions(api, a).compactMap { $0["id"]?.string }
            let bID = ids[0]
            let strangerID = try #require(try await Self.sessions(api, stranger).first?["id"]?.string)

            // Someone else's login, nonsense and unknown ids: 404, and nothing is revoked.
            for id in [strangerID, "abc", "0", "-5", "99999999999", "1e3", "%20"] {
                let response = try await api.request(.delete, "/api/v1/auth/sessions/\(id)", token: a.accessToken)
                #expect(response.status == 404 && response.errorCode == "NOT_FOUND", "\(id): \(response.raw)")
            }
            #expect(try await Self.isLive(api, stranger))

            let response = try await api.request(.delete, "/api/v1/auth/sessions/\(bID)", token: a.accessToken)
            #expect(response.status == 200 && response.data == .object([:]), "\(response.raw)")
            #expect(try await !Self.isLive(api, b), "access token of the revoked login fails at once")
            let refreshed = try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": b.refreshToken]))
            #expect(refreshed.status == 401)
            #expect(try await Self.isLive(api, a))
            #expect(try await Self.sessions(api, a).count == 1)
            // Revoked already: 404.
            #expect(try await api.request(.delete, "/api/v1/auth/sessions/\(bID)", token: a.accessToken).status == 404)
            // The caller may end its own login too.
            let own = try await api.request(.delete, "/api/v1/auth/sessions/\(ids[1])", token: a.accessToken)
            #expect(own.status == 200)
            #expect(try await !Self.isLive(api, a))
        }
    }

    @Test("POST /auth/logout-all revokes every other login and says how many", arguments: TestBackend.servers)
    func logoutAll(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let a = try await api.register("lou")
            let b = try await Self.login(api, "lou")
            let c = try await Self.login(api, "lou")
            let other = try await api.register("other")
            let response = try await api.request(.post, "/api/v1/auth/logout-all", token: b.accessToken)
            #expect(response.status == 200 && response.data?["revoked"]?.int == 2 && response.data?.object?.count == 1, "\(response.raw)")
            #expect(try await Self.isLive(api, b))
            #expect(try await !Self.isLive(api, a))
            #expect(try await !Self.isLive(api, c))
            #expect(try await Self.isLive(api, other))
            #expect(try await Self.sessions(api, b).map { $0["current"]?.bool } == [true])
            let again = try await api.request(.post, "/api/v1/auth/logout-all", token: b.accessToken, body: "{}")
            #expect(again.data?["revoked"]?.int == 0)
            // The current login still refreshes.
            let refreshed = try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": b.refreshToken]))
            #expect(refreshed.status == 200)
        }
    }

    @Test("POST /auth/password checks the current password, validates the new one and revokes every other login", arguments: TestBackend.servers)
    func changePassword(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let a = try await api.register("pat", password: "old password")
            let b = try await Self.login(api, "pat", password: "old password")
            let path = "/api/v1/auth/password"

            let wrong = try await api.request(.post, path, token: b.accessToken, body: api.json(["currentPassword": "not it!!", "newPassword": "new password"]))
            #expect(wrong.status == 401 && wrong.errorCode == "INVALID_CREDENTIALS", "\(wrong.raw)")
            let nul = try await api.request(.post, path, token: b.accessToken, body: api.json(["currentPassword": "old password\u{0}", "newPassword": "new password"]))
            #expect(nul.status == 401 && nul.errorCode == "INVALID_CREDENTIALS")
            for (body, field) in [
                (api.json(["currentPassword": "old password", "newPassword": "short"]), "newPassword"),
                (api.json(["currentPassword": "old password", "newPassword": String(repeating: "\u{0}", count: 8)]), "newPassword"),
                (api.json(["currentPassword": "old password", "newPassword": String(repeating: "x", count: 73)]), "newPassword"),
                (api.json(["currentPassword": "old password"]), "newPassword"),
                (api.json(["newPassword": "new password"]), "currentPassword"),
                (#"{"currentPassword": 5, "newPassword": "new password"}"#, "currentPassword"),
            ] {
                let response = try await api.request(.post, path, token: b.accessToken, body: body)
                #expect(response.status == 400 && response.errorCode == "VALIDATION_ERROR", "\(body): \(response.raw)")
                #expect(response.json["error"]?["details"]?["field"]?.string == field, "\(body): \(response.raw)")
            }
            for body in ["{", "[]", "null", ""] {
                let response = try await api.request(.post, path, token: b.accessToken, body: body)
                #expect(response.status == 400 && response.errorCode == "VALIDATION_ERROR", "\(body): \(response.raw)")
            }
            #expect(try await Self.isLive(api, a), "failed attempts revoke nothing")

            let ok = try await api.request(.post, path, token: b.accessToken, body: api.json(["currentPassword": "old password", "newPassword": "new password"]))
            #expect(ok.status == 200 && ok.data == .object([:]), "\(ok.raw)")
            #expect(try await !Self.isLive(api, a))
            #expect(try await Self.isLive(api, b))
            #expect(try await api.login("pat", password: "old password").status == 401)
            #expect(try await api.login("pat", password: "new password").status == 200)
        }
    }

    @Test("a wrong current password counts against the per-username login failure limit", arguments: TestBackend.servers)
    func passwordChangeIsRateLimited(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend, configure: { $0.rateLimits.loginFailuresPerUsername = RateLimit(burst: 3, per: .seconds(600)) }) { api in
            let a = try await api.register("rita", password: "right password")
            let body = api.json(["currentPassword": "wrong password", "newPassword": "new password"])
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await api.request(.post, "/api/v1/auth/password", token: a.accessToken, body: body).status) }
            #expect(statuses == [401, 401, 401, 429])
            // The same budget as logins.
            let login = try await api.login("rita", password: "right password")
            #expect(login.status == 429 && login.errorCode == "RATE_LIMITED")
            #expect(login.headers[.retryAfter] != nil)
        }
    }

    @Test("the sessions routes need a live access token", arguments: [
        (HTTPRequest.Method.get, "/api/v1/auth/sessions"), (.delete, "/api/v1/auth/sessions/1"), (.post, "/api/v1/auth/logout-all"),
        (.post, "/api/v1/auth/password"),
    ])
    func needAuthentication(method: HTTPRequest.Method, path: String) async throws {
        try await TestApp.run(on: .sqliteFile) { api in
            let a = try await api.register("una")
            let body = method == .post ? #"{"currentPassword":"correct horse","newPassword":"new password"}"# : nil
            for token in [nil, "garbage"] as [String?] {
                let response = try await api.request(method, path, token: token, body: body)
                #expect(response.status == 401 && response.errorCode == "UNAUTHORIZED", "\(path): \(response.raw)")
            }
            _ = try await api.request(.post, "/api/v1/auth/logout", body: api.json(["refreshToken": a.refreshToken]))
            let revoked = try await api.request(method, path, token: a.accessToken, body: body)
            #expect(revoked.status == 401 && revoked.errorCode == "UNAUTHORIZED", "\(path) with a revoked login: \(revoked.raw)")
        }
    }
}
