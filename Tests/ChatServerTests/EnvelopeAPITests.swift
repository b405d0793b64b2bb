import ChatTestSupport
import Foundation
import Hummingbird
import Testing

@Suite("REST: envelope, errors, health, CORS")
struct EnvelopeAPITests {
    @Test("unknown routes and methods are 404 NOT_FOUND envelopes", arguments: TestBackend.servers)
    func unknownRoutes(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            for (method, path) in [(HTTPRequest.Method.get, "/nope"), (.get, "/api/v1/nope"), (.delete, "/api/v1/auth/login"), (.get, "/api/v2/users")] {
                let response = try await api.request(method, path)
                #expect(response.status == 404, "\(method) \(path)")
                #expect(response.json["success"]?.bool == false)
                #expect(response.errorCode == "NOT_FOUND")
                #expect(response.json["error"]?["message"]?.string?.isEmpty == false)
            }
        }
    }

    @Test("malformed JSON, wrong types and empty bodies are 400 VALIDATION_ERROR", arguments: TestBackend.servers)
    func malformedBodies(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            for body in ["{", "[]", "null", "\"x\"", #"{"username": ["a"], "password": "x"}"#, "", "{\"username\":\"a\u{0}\"}"] {
                let response = try await api.request(.post, "/api/v1/auth/login", body: body)
                #expect(response.status == 400, "body \(body.debugDescription) -> \(response.raw)")
                #expect(response.errorCode == "VALIDATION_ERROR")
            }
        }
    }

    @Test("bodies over 64 KiB are 413 PAYLOAD_TOO_LARGE, just under is fine", arguments: TestBackend.servers)
    func oversizeBody(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let big = #"{"username":"x","password":""# + String(repeating: "a", count: 70_000) + #""}"#
            let response = try await api.request(.post, "/api/v1/auth/register", body: big)
            #expect(response.status == 413)
            #expect(response.errorCode == "PAYLOAD_TOO_LARGE")
            let justUnder = #"{"username":"x","password":""# + String(repeating: "a", count: 60_000) + #""}"#
            #expect(try await api.request(.post, "/api/v1/auth/register", body: justUnder).status == 400)
        }
    }

    @Test("healthz and readyz answer in the envelope", arguments: TestBackend.servers)
    func health(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let live = try await api.request(.get, "/healthz")
            #expect(live.status == 200)
            #expect(live.data?["status"]?.string == "ok")
            let ready = try await api.request(.get, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.data?["status"]?.string == "ready")
        }
    }

    @Test("CORS: configured origins are allowed, others get no CORS headers", arguments: TestBackend.servers)
    func cors(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend, corsOrigins: ["https://app.example"]) { api in
            var headers = HTTPFields()
            headers[.origin] = "https://app.example"
            headers[.accessControlRequestMethod] = "POST"
            let preflight = try await api.request(.options, "/api/v1/auth/login", headers: headers)
            #expect(preflight.status == 204)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example")
            var other = HTTPFields()
            other[.origin] = "https://evil.example"
            let denied = try await api.request(.get, "/healthz", headers: other)
            #expect(denied.headers[.accessControlAllowOrigin] == nil)
        }
        try await TestApp.run(on: backend) { api in
            var headers = HTTPFields()
            headers[.origin] = "https://app.example"
            let response = try await api.request(.get, "/healthz", headers: headers)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
        }
    }
}
