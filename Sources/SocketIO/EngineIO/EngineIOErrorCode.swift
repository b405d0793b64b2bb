/// The error codes of Engine.IO's HTTP error responses (`{"code": N, "message": "..."}`).
enum EngineIOErrorCode: Int, Error, Sendable {
    case unknownTransport = 0
    case unknownSid = 1
    case badHandshakeMethod = 2
    case badRequest = 3
    case forbidden = 4
    case unsupportedProtocolVersion = 5

    var message: String {
        switch self {
        case .unknownTransport: "Transport unknown"
        case .unknownSid: "Session ID unknown"
        case .badHandshakeMethod: "Bad handshake method"
        case .badRequest: "Bad request"
        case .forbidden: "Forbidden"
        case .unsupportedProtocolVersion: "Unsupported protocol version"
        }
    }

    /// 403 for `forbidden`, 400 for everything else, as the reference server answers.
    var httpStatus: Int { self == .forbidden ? 403 : 400 }

    var body: String { "{\"code\":\(rawValue),\"message\":\"\(message)\"}" }
}
