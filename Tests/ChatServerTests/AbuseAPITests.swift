import ChatCore
import ChatServer
import ChatTestSupport
import Foundation
import Testing

/// The abuse findings, each through the public REST surface on every backend: crafted numbers, NUL passwords,
/// rate limits.
@Suite("REST: abuse resistance")
struct AbuseAPITests {
    @Test("a crafted conversation cursor near Int64.max is 400 on cursor, not a crash; so is every malformed one", arguments: TestBackend.servers)
    func craftedCursors(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let crafted = [
                "9223372036854775807:1", "9223372036854775000:9223372036854775807", "-9223372036854775808:1", "253402300800000:1",
                "1:0", "1:-5", "1", "1:2:3", "x:y",
            ].map { Base64URL.encode(Data($0.utf8)) } + ["%%%", "====", String(repeating: "A", count: 5000), "a b"]
            for cursor in crafted {
                let encoded = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let r = try await api.request(.get, "/api/v1/conversations?cursor=\(encoded)", token: ann.accessToken)
                #expect(r.status == 400, "\(cursor): \(r.raw)")
                #expect(r.json["error"]?["details"]?["field"]?.string == "cursor")
                let users = try await api.request(.get, "/api/v1/users?cursor=\(encoded)", token: ann.accessToken)
                #expect(users.status == 400, "users \(cursor): \(users.raw)")
            }
            // The server is still answering.
            #expect(try await api.request(.get, "/api/v1/conversations", token: ann.accessToken).status == 200)
        }
    }

    @Test("every number a client sends, at its bounds and beyond: 400 VALIDATION_ERROR naming it, never a 500", arguments: TestBackend.servers)
    func numbersAtTheirBounds(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let bob = try await api.register("bob")
            let id = try await api.conversationID(ann, with: bob)
            _ = try await api.send(ann, id, "one")
            let history = "/api/v1/conversations/\(id)/messages"
            for (query, field) in [
                ("before=9223372036854775807", "before"), ("before=9223372036854775808", "before"), ("after=-9223372036854775808", "after"),
                ("after=9007199254740992", "after"), ("before=1e3", "before"), ("limit=9223372036854775807", "limit"),
                ("limit=99999999999999999999", "limit"), ("limit=-1", "limit"), ("after=0x10", "after"),
            ] {
                let r = try await api.request(.get, "\(history)?\(query)", token: ann.accessToken)
                #expect(r.status == 400, "\(query): \(r.raw)")
                #expect(r.json["error"]?["details"]?["field"]?.string == field, "\(query): \(r.raw)")
            }
            let edge = try await api.request(.get, "\(history)?after=9007199254740991", token: ann.accessToken)
            #expect(edge.status == 200 && edge.data?[0] == nil)

            for seq in ["9223372036854775807", "9223372036854775808", "-1", "1e30", "1.5", "\"3\"", "null"] {
                let r = try await api.request(.post, "/api/v1/conversations/\(id)/read", token: ann.accessToken, body: #"{"seq": \#(seq)}"#)
                #expect(r.status == 400, "seq \(seq): \(r.raw)")
                #expect(r.json["error"]?["details"]?["field"]?.string == "seq", "seq \(seq): \(r.raw)")
            }
            for limit in ["0", "101", "abc"] {
                let r = try await api.request(.get, "/api/v1/users?limit=\(limit)", token: ann.accessToken)
                #expect(r.status == 400 && r.errorCode == "VALIDATION_ERROR", "limit \(limit)")
            }
            let longQuery = try await api.request(.get, "/api/v1/users?q=\(String(repeating: "a", count: 65))", token: ann.accessToken)
            #expect(longQuery.status == 400)
            // Path ids of any shape are simply unknown.
            for bad in ["9223372036854775808", "-1", "0", "1e3", "%00"] {
                #expect(try await api.request(.get, "/api/v1/conversations/\(bad)", token: ann.accessToken).status == 404)
                #expect(try await api.request(.get, "/api/v1/users/\(bad)", token: ann.accessToken).status == 404)
            }
        }
    }

    @Test("passwords with U+0000 are refused at register (bcrypt would stop there) and never log in", arguments: TestBackend.servers)
    func nulPasswords(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            for password in [String(repeating: #"\u0000"#, count: 8), #"abc\u0000defghijk"#, #"correct horse\u0000"#] {
                let r = try await api.request(.post, "/api/v1/auth/register", body: #"{"username":"nul","password":"\#(password)"}"#)
                #expect(r.status == 400, "\(password): \(r.raw)")
                #expect(r.json["error"]?["details"]?["field"]?.string == "password")
            }
            _ = try await api.register("nul", password: "correct horse")
            let withNul = try await api.request(.post, "/api/v1/auth/login", body: #"{"username":"nul","password":"correct horse\u0000tail"}"#)
            #expect(withNul.status == 401 && withNul.errorCode == "INVALID_CREDENTIALS")
        }
    }

    @Test("failed logins per username hit 429 RATE_LIMITED with Retry-After; a right password does not use up the budget", arguments: TestBackend.servers)
    func loginFailuresPerUsername(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend, configure: { $0.rateLimits.loginFailuresPerUsername = RateLimit(burst: 3, per: .seconds(600)) }) { api in
            _ = try await api.register("target", password: "correct horse")
            for _ in 0..<5 {
                #expect(try await api.login("target", password: "correct horse").status == 200)
            }
            var statuses: [Int] = []
            for _ in 0..<5 { statuses.append(try await api.login("target", password: "wrong password").status) }
            #expect(statuses == [401, 401, 401, 429, 429])
            let limited = try await api.login("target", password: "correct horse")
            #expect(limited.status == 429 && limited.errorCode == "RATE_LIMITED")
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap(Int.init))
            #expect((1...600).contains(retryAfter))
            // Other accounts are not affected.
            _ = try await api.register("bystander", password: "correct horse")
            #expect(try await api.login("bystander", password: "correct horse").status == 200)
        }
    }

    @Test("a refused login is held for CHATONE_AUTH_REFUSAL_DELAY_MS before its 429; other refusals and answers are not")
    func refusedAuthIsHeld() async throws {
        // Live: the per-address limit needs the client's real address. The hold is long so that "not held" below has
        // room on a loaded machine (a full parallel test run can make a plain request take a second).
        try await TestApp.live(on: .sqliteFile, configure: {
            $0.rateLimits.loginPerAddress = RateLimit(burst: 2, per: .seconds(600))
            $0.rateLimits.messagesPerUser = RateLimit(burst: 1, per: .seconds(600))
            $0.authRefusalDelay = .seconds(4)
        }) { _, api in
            let ann = try await api.register("ann", password: "correct horse")
            let ben = try await api.register("ben", password: "correct horse")
            let clock = ContinuousClock()
            var statuses: [Int] = []
            for _ in 0..<2 { statuses.append(try await api.login("ann", password: "correct horse").status) }
            let started = clock.now
            statuses.append(try await api.login("ann", password: "correct horse").status)
            let refusal = clock.now - started
            #expect(statuses == [200, 200, 429])
            // A lower bound only: a slow machine may take longer, never shorter.
            #expect(refusal >= .seconds(4), "\(refusal)")
            // A message refused by its own limit is answered without the hold (it is for the auth routes only).
            let conversation = try await api.conversationID(ann, with: ben)
            #expect(try await api.send(ann, conversation, "one").status == 201)
            let sendStarted = clock.now
            #expect(try await api.send(ann, conversation, "two").status == 429)
            #expect(clock.now - sendStarted < .seconds(3))
        }
    }

    @Test("a user flooding sends gets 429 RATE_LIMITED, and nothing of the refused sends is stored", arguments: TestBackend.servers)
    func sendFlood(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend, configure: { $0.rateLimits.messagesPerUser = RateLimit(burst: 5, per: .seconds(600)) }) { api in
            let ann = try await api.register("ann")
            let bob = try await api.register("bob")
            let id = try await api.conversationID(ann, with: bob)
            var statuses: [Int] = []
            for i in 0..<8 { statuses.append(try await api.send(ann, id, "m\(i)").status) }
            #expect(statuses == [201, 201, 201, 201, 201, 429, 429, 429])
            // Bob has his own budget.
            #expect(try await api.send(bob, id, "hi").status == 201)
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages", token: bob.accessToken)
            #expect(history.data?[5]?["content"]?.string == "hi")
            #expect(history.data?[6] == nil)
        }
    }

    @Test("group changes per user are limited", arguments: TestBackend.servers)
    func groupChanges(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend, configure: { $0.rateLimits.conversationChangesPerUser = RateLimit(burst: 2, per: .seconds(600)) }) { api in
            let ann = try await api.register("ann")
            let bob = try await api.register("bob")
            let create = api.json(["type": "group", "title": "g", "memberIds": [bob.id]])
            let first = try await api.request(.post, "/api/v1/conversations", token: ann.accessToken, body: create)
            #expect(first.status == 201)
            let id = try #require(first.data?["id"]?.string)
            #expect(try await api.request(.patch, "/api/v1/conversations/\(id)", token: ann.accessToken, body: #"{"title":"h"}"#).status == 200)
            let third = try await api.request(.patch, "/api/v1/conversations/\(id)", token: ann.accessToken, body: #"{"title":"i"}"#)
            #expect(third.status == 429 && third.headers[.retryAfter] != nil)
        }
    }
}

@Suite("Client address behind proxies")
struct ClientAddressTests {
    @Test("X-Forwarded-For counts only from trusted proxies, read right to left")
    func forwardedFor() throws {
        let none = ClientAddressResolver(trustedProxies: [])
        #expect(none.resolve(remote: "203.0.113.9", forwardedFor: "1.2.3.4") == "203.0.113.9")
        let proxies = ClientAddressResolver(trustedProxies: [try #require(AddressRange("10.0.0.0/8")), try #require(AddressRange("::1"))])
        #expect(proxies.resolve(remote: "10.1.2.3", forwardedFor: "198.51.100.7") == "198.51.100.7")
        // The client wrote its own header in front; the rightmost untrusted hop is the client the proxy saw.
        #expect(proxies.resolve(remote: "10.1.2.3", forwardedFor: "6.6.6.6, 198.51.100.7, 10.9.9.9") == "198.51.100.7")
        #expect(proxies.resolve(remote: "::1", forwardedFor: "2001:db8::5") == "2001:db8::5")
        #expect(proxies.resolve(remote: "203.0.113.9", forwardedFor: "198.51.100.7") == "203.0.113.9")
        #expect(proxies.resolve(remote: "10.1.2.3", forwardedFor: "not-an-ip") == "10.1.2.3")
        #expect(proxies.resolve(remote: nil, forwardedFor: "1.2.3.4") == nil)
        #expect(AddressRange("::ffff:10.0.0.1").map { _ in true } == true)
        #expect(try #require(AddressRange("10.0.0.0/8")).contains("::ffff:10.20.30.40"))
        for bad in ["", "10.0.0.0/33", "300.1.1.1", "1.2.3.4/-1", "abc", "::1/129"] { #expect(AddressRange(bad) == nil, "\(bad)") }
    }

    @Test("limits are read from CHATONE_RATE_* and friends; bad values are refused naming the variable")
    func configuration() throws {
        let config = try ServerConfig.fromEnvironment([
            "CHATONE_RATE_LOGIN_PER_IP": "5/10", "CHATONE_RATE_MESSAGES_PER_USER": "off", "CHATONE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
            "CHATONE_MAX_SOCKETS_PER_USER": "3", "CHATONE_SOCKET_MAX_PAYLOAD": "2048", "CHATONE_BCRYPT_QUEUE": "4",
            "CHATONE_AUTH_REFUSAL_DELAY_MS": "250", "CHATONE_BCRYPT_RESCUE_BELOW": "0",
        ])
        #expect(config.rateLimits.loginPerAddress == RateLimit(burst: 5, per: .seconds(10)))
        #expect(config.rateLimits.messagesPerUser == nil)
        #expect(config.trustedProxies.count == 2)
        #expect(config.maxSocketsPerUser == 3 && config.socketMaxPayload == 2048 && config.bcryptQueueLimit == 4)
        #expect(config.authRefusalDelay == .milliseconds(250))
        #expect(config.bcryptRescueBelowPercent == 0)
        let defaults = try ServerConfig.fromEnvironment([:])
        #expect(defaults.authRefusalDelay == .seconds(1))
        #expect(defaults.bcryptRescueBelowPercent == 2)
        #expect(defaults.maxSocketsPerUser == 20 && defaults.socketMaxPayload == 65536 && defaults.rateLimits == RateLimitSettings())
        for (name, value) in [
            ("CHATONE_RATE_TYPING_PER_USER", "fast"), ("CHATONE_TRUSTED_PROXIES", "everyone"), ("CHATONE_MAX_SOCKETS_PER_USER", "0"),
            ("CHATONE_SOCKET_MAX_PAYLOAD", "99999999999999999999"), ("CHATONE_AUTH_REFUSAL_DELAY_MS", "-1"),
            ("CHATONE_AUTH_REFUSAL_DELAY_MS", "10001"), ("CHATONE_BCRYPT_RESCUE_BELOW", "101"), ("CHATONE_BCRYPT_RESCUE_BELOW", "2.5"),
        ] {
            #expect {
                _ = try ServerConfig.fromEnvironment([name: value])
            } throws: { error in
                (error as? ChatError)?.details?["field"] == name
            }
        }
    }
}

@Suite("REST: random query strings and bodies")
struct QueryFuzzAPITests {
    @Test("seeded random query strings and bodies on every list, history and write route: 2xx/4xx in the envelope, never a 5xx")
    func randomInput() async throws {
        try await TestApp.run(on: .sqliteFile) { api in
            let ann = try await api.register("ann")
            let bob = try await api.register("bob")
            let id = try await api.conversationID(ann, with: bob)
            _ = try await api.send(ann, id, "hello")
            let names = ["before", "after", "limit", "cursor", "q", "seq", "x"]
            let values = [
                "0", "-1", "1", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e308", "NaN", "%00", "%FF%FE",
                "", "%", "%2", "a%20b", "🙂", "1.5", "+5", "0x7f", String(repeating: "9", count: 400), "[]", "{}", "null",
            ]
            let bodies = [
                "", "{", "[]", "null", "1", #"{"seq":null}"#, #"{"seq":{}}"#, #"{"content":1}"#, #"{"content":"x","clientMessageId":"#
                    + String(repeating: "[", count: 2000), #"{"content":"\ud800"}"#, #"{"title":"\u0000"}"#, #"{"userIds":"abc"}"#,
                #"{"userIds":[1,2]}"#, #"{"seq":9223372036854775807}"#, #"{"seq":-0.0}"#,
            ]
            var rng = SystemRandomNumberGenerator()
            for round in 0..<300 {
                let query = (0..<Int.random(in: 1...3, using: &rng)).map { _ in "\(names.randomElement()!)=\(values.randomElement()!)" }
                    .joined(separator: "&")
                let path = [
                    "/api/v1/conversations?\(query)", "/api/v1/conversations/\(id)/messages?\(query)", "/api/v1/users?\(query)",
                ][round % 3]
                let r = try await api.request(.get, path, token: ann.accessToken)
                #expect(r.status < 500 && r.json["success"] != nil, "\(path): \(r.status) \(r.raw)")
                let body = bodies.randomElement()!
                let target = [
                    "/api/v1/conversations/\(id)/read", "/api/v1/conversations/\(id)/messages", "/api/v1/conversations",
                    "/api/v1/conversations/\(id)/members", "/api/v1/auth/login",
                ][round % 5]
                let w = try await api.request(.post, target, token: ann.accessToken, body: body)
                #expect((400..<500).contains(w.status) || w.status < 300, "\(target) \(body): \(w.status) \(w.raw)")
                #expect(w.json["success"] != nil, "\(target) \(body): \(w.raw)")
            }
        }
    }
}
