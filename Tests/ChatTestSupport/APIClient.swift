import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Thin helpers over the test client, speaking the API's JSON.
public struct APIClient: Sendable {
    public let client: any TestClientProtocol

    public init(client: any TestClientProtocol) { self.client = client }

    public func request(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: String? = nil, headers extra: HTTPFields = [:]) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let raw = String(buffer: response.body)
            let json = (try? JSONDecoder().decode(JSON.self, from: Data(raw.utf8))) ?? .null
            return APIResponse(status: Int(response.status.code), headers: response.headers, json: json, raw: raw)
        }
    }

    public func json(_ object: [String: Any?]) -> String {
        let cleaned = object.mapValues { $0 ?? NSNull() }
        return String(data: try! JSONSerialization.data(withJSONObject: cleaned), encoding: .utf8)!
    }

    public struct Session: Sendable {
        public var id: String
        public var username: String
        public var accessToken: String
        public var refreshToken: String

        public init(id: String, username: String, accessToken: String, refreshToken: String) {
            (self.id, self.username, self.accessToken, self.refreshToken) = (id, username, accessToken, refreshToken)
        }
    }

    public func register(_ username: String, password: String = "correct horse", displayName: String? = nil) async throws -> Session {
        let response = try await request(.post, "/api/v1/auth/register", body: json(["username": username, "password": password, "displayName": displayName]))
        try #require(response.status == 201, "register \(username): \(response.raw)")
        return try session(response)
    }

    public func login(_ username: String, password: String = "correct horse") async throws -> APIResponse {
        try await request(.post, "/api/v1/auth/login", body: json(["username": username, "password": password]))
    }

    public func session(_ response: APIResponse) throws -> Session {
        let data = try #require(response.data)
        return Session(
            id: try #require(data["user"]?["id"]?.string), username: try #require(data["user"]?["username"]?.string),
            accessToken: try #require(data["accessToken"]?.string), refreshToken: try #require(data["refreshToken"]?.string))
    }

    public func openDirect(_ caller: Session, with other: Session) async throws -> APIResponse {
        try await request(.post, "/api/v1/conversations", token: caller.accessToken, body: json(["type": "direct", "userId": other.id]))
    }

    public func conversationID(_ caller: Session, with other: Session) async throws -> String {
        let response = try await openDirect(caller, with: other)
        return try #require(response.data?["id"]?.string, "open direct: \(response.raw)")
    }

    public func send(_ caller: Session, _ conversationID: String, _ content: String, clientMessageID: String? = nil) async throws -> APIResponse {
        try await request(
            .post, "/api/v1/conversations/\(conversationID)/messages", token: caller.accessToken,
            body: json(["content": content, "clientMessageId": clientMessageID]))
    }
}
