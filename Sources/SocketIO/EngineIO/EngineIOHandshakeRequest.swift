import Foundation
public import Hummingbird

/// The HTTP request that opened an Engine.IO session, kept for the application
/// (for example to read an `Authorization` header in Socket.IO middleware).
public struct EngineIOHandshakeRequest: Sendable {
    /// Request headers.
    public let headers: HTTPFields
    /// Query parameters (first value of each name).
    public let query: [String: String]
    /// The request path, query included.
    public let path: String

    public init(headers: HTTPFields, query: [String: String], path: String) {
        self.headers = headers
        self.query = query
        self.path = path
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
