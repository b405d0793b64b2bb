public import Hummingbird

/// What a client presented when connecting to a namespace: its `auth` object and the HTTP request.
public struct SocketIOHandshake: Sendable {
    /// The CONNECT packet's auth payload; an empty object when the client sent none.
    public let auth: JSONValue
    /// Headers of the HTTP request that opened the connection.
    public let headers: HTTPFields
    /// Query parameters of that request.
    public let query: [String: String]

    public init(auth: JSONValue, headers: HTTPFields, query: [String: String]) {
        self.auth = auth
        self.headers = headers
        self.query = query
    }

    /// A bearer token from `auth.token`, or else from an `Authorization: Bearer …` header.
    public var bearerToken: String? {
        if let token = auth["token"]?.stringValue, !token.isEmpty { return token }
        guard let header = headers[.authorization] else { return nil }
        let prefix = "bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix(prefix) else { return nil }
        let token = header.dropFirst(prefix.count).trimmingPrefix(while: { $0 == " " })
        return token.isEmpty ? nil : String(token)
    }
}
