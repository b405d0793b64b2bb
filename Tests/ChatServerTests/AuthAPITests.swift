import ChatTestSupport
import Foundation
import Hummingbird
import Testing

@Suite("REST: auth")
struct AuthAPITests {
    @Test("register returns 201 with a user, tokens and expiry, and never a hash", arguments: TestBackend.servers)
    func registerShape(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let response = try await api.request(.post, "/api/v1/auth/register", body: #"{"username":"Alice_1","password":"pa ss word","displayName":"  Alice  "}"#)
            #expect(response.status == 201)
            #expect(response.json["success"]?.bool == true)
            let user = try #require(response.data?["user"])
            #expect(user["username"]?.string == "Alice_1")
            #expect(user["displayName"]?.string == "Alice")
            #expect(user["online"]?.bool == false)
            #expect(user["lastSeenAt"]?.isNull == true)
            #expect(user["id"]?.string?.isEmpty == false)
            #expect(response.data?["expiresIn"]?.int == 900)
            #expect(!response.raw.contains("$2"), "no bcrypt hash in the response")
            #expect(!response.raw.lowercased().contains("password"))
            let createdAt = try #require(user["createdAt"]?.string)
            #expect(createdAt.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
        }
    }

    @Test("usernames are unique case-insensitively: 409 CONFLICT", arguments: TestBackend.servers)
    func duplicateUsername(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            _ = try await api.register("carol")
            let response = try await api.request(.post, "/api/v1/auth/register", body: #"{"username":"CAROL","password":"password1"}"#)
            #expect(response.status == 409)
            #expect(response.errorCode == "CONFLICT")
            #expect(response.json["error"]?["details"]?["field"]?.string == "username")
        }
    }

    @Test(
        "invalid registrations are 400 VALIDATION_ERROR naming the field",
        arguments: TestBackend.servers, [
            (#"{"username":"ab","password":"password1"}"#, "username"),
            (#"{"username":"has space","password":"password1"}"#, "username"),
            (#"{"username":"émile","password":"password1"}"#, "username"),
            (#"{"username":"abcdefghijklmnopqrstuvwxyz0123456","password":"password1"}"#, "username"),
            (#"{"username":"dave","password":"short"}"#, "password"),
            (#"{"username":"dave","password":"\#(String(repeating: "é", count: 37))"}"#, "password"),
            (#"{"username":"dave","password":"password1","displayName":"   "}"#, "displayName"),
            (#"{"username":"dave","password":"password1","displayName":"\#(String(repeating: "x", count: 65))"}"#, "displayName"),
            (#"{"username":"dave"}"#, "password"),
            (#"{"username":7,"password":"password1"}"#, "username"),
        ])
    func invalidRegistration(_ backend: TestBackend, _ input: (body: String, field: String)) async throws {
        let (body, field) = input
        try await TestApp.run(on: backend) { api in
            let response = try await api.request(.post, "/api/v1/auth/register", body: body)
            #expect(response.status == 400, "\(body) -> \(response.raw)")
            #expect(response.errorCode == "VALIDATION_ERROR")
            #expect(response.json["error"]?["details"]?["field"]?.string == field)
        }
    }

    @Test("a 72-byte password is accepted and a 73-byte one refused, never truncated", arguments: TestBackend.servers)
    func passwordByteLimit(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ok = String(repeating: "a", count: 72)
            _ = try await api.register("erin", password: ok)
            #expect(try await api.login("erin", password: ok).status == 200)
            #expect(try await api.login("erin", password: ok + "b").status == 401)
            let response = try await api.request(.post, "/api/v1/auth/register", body: api.json(["username": "frank", "password": ok + "b"]))
            #expect(response.status == 400)
        }
    }

    @Test("login: unknown user and wrong password give the same 401 INVALID_CREDENTIALS", arguments: TestBackend.servers)
    func loginFailuresAreIdentical(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            _ = try await api.register("gina")
            let ok = try await api.login("GINA")
            #expect(ok.status == 200)
            #expect(ok.data?["user"]?["username"]?.string == "gina")
            let wrong = try await api.login("gina", password: "wrong password")
            let unknown = try await api.login("nobody", password: "wrong password")
            #expect(wrong.status == 401)
            #expect(unknown.status == 401)
            #expect(wrong.errorCode == "INVALID_CREDENTIALS")
            #expect(wrong.raw == unknown.raw)
        }
    }

    @Test("me needs a valid bearer token", arguments: TestBackend.servers)
    func meRequiresToken(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let hal = try await api.register("hal")
            let me = try await api.request(.get, "/api/v1/auth/me", token: hal.accessToken)
            #expect(me.status == 200)
            #expect(me.data?["id"]?.string == hal.id)
            for value in [nil, "Bearer", "Basic abc", "Bearer not.a.jwt", "bearer  "] as [String?] {
                var headers = HTTPFields()
                if let value { headers[.authorization] = value }
                let response = try await api.request(.get, "/api/v1/auth/me", headers: headers)
                #expect(response.status == 401)
                #expect(response.errorCode == "UNAUTHORIZED")
            }
            // A token signed with another secret is refused.
            let parts = hal.accessToken.split(separator: ".")
            let forged = "\(parts[0]).\(parts[1]).AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            #expect(try await api.request(.get, "/api/v1/auth/me", token: forged).status == 401)
        }
    }

    @Test("an expired access token is 401", arguments: TestBackend.servers)
    func expiredToken(_ backend: TestBackend) async throws {
        // `exp` has whole-second precision, so a 1-second token can be expired the moment it is issued; 8 seconds
        // leaves room for a loaded machine between register and the first check (3 s was not enough in a CI run
        // beside other builds).
        try await TestApp.run(on: backend, accessTTL: 8) { api in
            let ivy = try await api.register("ivy")
            #expect(try await api.request(.get, "/api/v1/auth/me", token: ivy.accessToken).status == 200)
            try await Task.sleep(for: .milliseconds(9100))
            let response = try await api.request(.get, "/api/v1/auth/me", token: ivy.accessToken)
            #expect(response.status == 401)
            #expect(response.errorCode == "UNAUTHORIZED")
        }
    }

    @Test("refresh rotates: the new pair works, the old refresh token stops working", arguments: TestBackend.servers)
    func refreshRotation(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let jo = try await api.register("joe")
            let first = try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": jo.refreshToken]))
            #expect(first.status == 200)
            let rotated = try api.session(first)
            #expect(rotated.refreshToken != jo.refreshToken)
            #expect(try await api.request(.get, "/api/v1/auth/me", token: rotated.accessToken).status == 200)
            let second = try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": rotated.refreshToken]))
            #expect(second.status == 200)
        }
    }

    @Test("reusing a rotated refresh token revokes the whole login, other logins survive", arguments: TestBackend.servers)
    func refreshReuseRevokesLogin(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let kim = try await api.register("kim")
            let otherLogin = try api.session(try await api.login("kim"))
            let rotated = try api.session(try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": kim.refreshToken])))
            let reuse = try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": kim.refreshToken]))
            #expect(reuse.status == 401)
            #expect(reuse.errorCode == "UNAUTHORIZED")
            // The newest token of that login and its access token are dead too.
            #expect(try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": rotated.refreshToken])).status == 401)
            #expect(try await api.request(.get, "/api/v1/auth/me", token: rotated.accessToken).status == 401)
            // Another device's login is untouched.
            #expect(try await api.request(.get, "/api/v1/auth/me", token: otherLogin.accessToken).status == 200)
            #expect(try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": otherLogin.refreshToken])).status == 200)
        }
    }

    @Test("concurrent refreshes with one token: exactly one succeeds", arguments: TestBackend.servers)
    func concurrentRefresh(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let lee = try await api.register("lee")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": lee.refreshToken])).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count <= 1)
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 401 })
        }
    }

    @Test("logout revokes the refresh token and its login; unknown tokens are 401", arguments: TestBackend.servers)
    func logout(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let max = try await api.register("max")
            let out = try await api.request(.post, "/api/v1/auth/logout", body: api.json(["refreshToken": max.refreshToken]))
            #expect(out.status == 200)
            #expect(out.json["success"]?.bool == true)
            #expect(try await api.request(.post, "/api/v1/auth/refresh", body: api.json(["refreshToken": max.refreshToken])).status == 401)
            #expect(try await api.request(.get, "/api/v1/auth/me", token: max.accessToken).status == 401)
            #expect(try await api.request(.post, "/api/v1/auth/logout", body: api.json(["refreshToken": "nope"])).status == 401)
            #expect(try await api.request(.post, "/api/v1/auth/refresh", body: #"{"refreshToken": ""}"#).status == 401)
            #expect(try await api.request(.post, "/api/v1/auth/refresh", body: #"{}"#).status == 400)
        }
    }
}

