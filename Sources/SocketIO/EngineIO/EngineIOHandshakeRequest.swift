import Foundation
public import Hummingbird
public import NIOCore

/// The HTTP request that opened an Engine.IO session, kept for the application
/// (for example to read an `Authorization` header in Socket.IO middleware).
public struct EngineIOHandshakeRequest: Sendable {
    /// Request headers.
    public let headers: HTTPFields
    /// Query parameters (first value of each name).
    public let query: [String: String]
    /// The request path, query included.
    public let path: String
    /// The address of the peer of the TCP connection (a proxy's, behind one; the application reads
    /// `X-Forwarded-For` from `headers` itself if it trusts the proxy). `nil` when the server could not
    /// tell: for long-polling, the server was not built with `.socketIO`/`.engineIO` and the request
    /// context does not conform to `RemoteAddressRequestContext`.
    public let remoteAddress: SocketAddress?

    public init(headers: HTTPFields, query: [String: String], path: String, remoteAddress: SocketAddress? = nil) {
        self.headers = headers
        self.query = query
        self.path = path
        self.remoteAddress = remoteAddress
    }

    /// Parses the query string of `path` (percent-decoded, `+` as space).
    static func parseQuery(_ path: String) -> [String: String] {
        guard let questionMark = path.firstIndex(of: "?") else { return [:] }
        var query: [String: String] = [:]
        for pair in path[path.index(after: questionMark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if query[name] == nil { query[name] = value }
        }
        return query
    }

    private static func decode(_ component: Substring) -> String {
        let replaced = component.replacingOccurrences(of: "+", with: " ")
        return replaced.removingPercentEncoding ?? replaced
    }
}
