/// The error codes of Engine.IO's HTTP error responses (`{"code": N, "message": "..."}`).
enum EngineIOErrorCode: Int, Error, Sendable {
    case unknownTransport = 0
    case unknownSid = 1
    case badHandshakeMethod = 2
    case badRequest = 3
    case forbidden = 4
    case unsupportedProtocolVersion = 5
    /// Not a reference-server code: too many sessions are pending (`maxPendingSessions`).
    case serverBusy = 6
    /// Not a reference-server code: the application's `handshakeFilter` refused the handshake.
    case handshakeRefused = 7

    var message: String {
        switch self {
        case .unknownTransport: "Transport unknown"
        case .unknownSid: "Session ID unknown"
        case .badHandshakeMethod: "Bad handshake method"
        case .badRequest: "Bad request"
        case .forbidden: "Forbidden"
        case .unsupportedProtocolVersion: "Unsupported protocol version"
        case .serverBusy: "Server busy"
        case .handshakeRefused: "Handshake refused"
        }
    }

    /// 403 for `forbidden`, 400 for the other reference codes, as the reference server answers;
    /// 503 for `serverBusy`, 403 for `handshakeRefused` (the filter usually names its own status).
    var httpStatus: Int {
        switch self {
        case .forbidden, .handshakeRefused: 403
        case .serverBusy: 503
        default: 400
        }
    }

    var body: String { "{\"code\":\(rawValue),\"message\":\"\(message)\"}" }
}
