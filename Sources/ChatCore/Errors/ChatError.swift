/// Every failure the domain can report. Transports map these to the API.md envelope in exactly one place each
/// (the REST error middleware and the socket ack helper), so a new case needs a code and a status there.
public enum ChatError: Error, Sendable, Equatable {
    /// Malformed or invalid input; `field` names the offending field or query parameter when there is one.
    case validation(String, field: String? = nil)
    /// Token missing, malformed, badly signed, expired or revoked.
    case unauthorized(String = "authentication required")
    /// Login with an unknown username or a wrong password: deliberately one answer for both.
    case invalidCredentials
    /// Authenticated but not allowed; `reason` (e.g. `"blocked"`) goes to the envelope's details when given.
    case forbidden(String, reason: String? = nil)
    /// Unknown resource, or one the caller may not know exists (a conversation they are not a member of).
    case notFound(String)
    /// The request collides with existing state, e.g. a taken username.
    case conflict(String, field: String? = nil)
    /// The request body is over the limit.
    case payloadTooLarge(limitBytes: Int)
    /// Too many requests; the client may retry after the given number of seconds.
    case rateLimited(retryAfterSeconds: Int)
    /// Anything unexpected. The message never reaches a client; details belong in the server log only.
    case `internal`(String)

    /// A block stands in the way (API.md, "Blocking"): the blocked user learns no more than this.
    public static let blocked = ChatError.forbidden("not allowed", reason: "blocked")

    /// The stable machine-readable code from API.md.
    public var code: String {
        switch self {
        case .validation: "VALIDATION_ERROR"
        case .unauthorized: "UNAUTHORIZED"
        case .invalidCredentials: "INVALID_CREDENTIALS"
        case .forbidden: "FORBIDDEN"
        case .notFound: "NOT_FOUND"
        case .conflict: "CONFLICT"
        case .payloadTooLarge: "PAYLOAD_TOO_LARGE"
        case .rateLimited: "RATE_LIMITED"
        case .internal: "INTERNAL_ERROR"
        }
    }

    /// The message that is safe to show a client.
    public var publicMessage: String {
        switch self {
        case .validation(let message, _), .unauthorized(let message), .forbidden(let message, _),
            .notFound(let message), .conflict(let message, _):
            message
        case .invalidCredentials: "invalid username or password"
        case .payloadTooLarge(let limit): "request body is larger than \(limit) bytes"
        case .rateLimited: "too many requests"
        case .internal: "internal server error"
        }
    }

    /// Structured details for the envelope, when the error has any.
    public var details: [String: String]? {
        switch self {
        case .validation(_, let field?), .conflict(_, let field?): ["field": field]
        case .forbidden(_, let reason?): ["reason": reason]
        default: nil
        }
    }
}
