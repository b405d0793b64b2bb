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
    ///
    /// Every handshake runs it, so it works on the UTF-8 bytes rather than through Foundation's string methods (which
    /// were 3% of a handshake's server time). A component with a malformed escape (`%` not followed by two hex digits),
    /// or whose escapes do not decode to UTF-8, is kept as it came, with only `+` turned into a space, as Foundation's
    /// `removingPercentEncoding` returning `nil` did before.
    static func parseQuery(_ path: String) -> [String: String] {
        guard let questionMark = path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [:] }
        var query: [String: String] = [:]
        for pair in path[path.utf8.index(after: questionMark)...].utf8.split(separator: UInt8(ascii: "&")) {
            let separator = pair.firstIndex(of: UInt8(ascii: "="))
            let name = decode(separator.map { pair[..<$0] } ?? pair[...])
            let value = separator.map { decode(pair[pair.index(after: $0)...]) } ?? ""
            if query[name] == nil { query[name] = value }
        }
        return query
    }

    private static func decode(_ component: Substring.UTF8View.SubSequence) -> String {
        if !component.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return String(Substring(component))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.count)
        var malformed = false
        var index = component.startIndex
        while index < component.endIndex {
            let byte = component[index]
            component.formIndex(after: &index)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index < component.endIndex, let high = hexValue(component[index]) else {
                    malformed = true
                    bytes.append(byte)
                    continue
                }
                let next = component.index(after: index)
                guard next < component.endIndex, let low = hexValue(component[next]) else {
                    malformed = true
                    bytes.append(byte)
                    continue
                }
                bytes.append(high << 4 | low)
                index = component.index(after: next)
            default:
                bytes.append(byte)
            }
        }
        if !malformed, let decoded = String(validating: bytes, as: UTF8.self) {
            return decoded
        }
        // As it came, `+` as a space.
        return String(decoding: component.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
