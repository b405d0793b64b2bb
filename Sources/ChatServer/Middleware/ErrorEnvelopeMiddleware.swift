import ChatCore
import Hummingbird
import Logging
import NIOCore

/// The one place REST errors become API.md envelopes. Unknown errors are logged here and answered with a bare
/// `INTERNAL_ERROR`, so no stack trace, SQL or framework page ever reaches a client.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: Self.chatError(for: error, logger: context.logger), request: request, context: context)
        }
    }

    /// The envelope and status for `error`, with `Retry-After` when it is a rate limit.
    static func response(for error: ChatError, request: Request, context: Context) -> Response {
        var response: Response
        do {
            response = try context.responseEncoder.encode(ErrorEnvelope(error), from: request, context: context)
        } catch {
            // A fixed shape of strings always encodes; this only exists so that nothing here can throw.
            response = Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: #"{"success":false}"#)))
        }
        response.status = status(for: error)
        if case .rateLimited(let seconds) = error { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    static func status(for error: ChatError) -> HTTPResponse.Status {
        switch error {
        case .validation: .badRequest
        case .unauthorized, .invalidCredentials: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .rateLimited: .tooManyRequests
        case .internal: .internalServerError
        }
    }

    private static func chatError(for error: any Error, logger: Logger) -> ChatError {
        switch error {
        case let error as ChatError:
            if case .internal(let detail) = error { logger.error("internal error", metadata: ["error": "\(detail)"]) }
            return error
        case let error as HTTPError:
            return chatError(for: error)
        case is NIOTooManyBytesError:
            return .payloadTooLarge(limitBytes: ChatRequestContext.bodyLimit)
        case let error as DecodingError:
            return error.validationError
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return .internal("unhandled")
        }
    }

    /// Errors the framework raises itself: an unknown route, an oversize body, a malformed request.
    private static func chatError(for error: HTTPError) -> ChatError {
        switch error.status {
        case .notFound, .methodNotAllowed: .notFound("no such route")
        case .contentTooLarge: .payloadTooLarge(limitBytes: ChatRequestContext.bodyLimit)
        case .unauthorized: .unauthorized()
        case .badRequest: .validation("bad request")
        default: error.status.code < 500 ? .validation(error.status.reasonPhrase) : .internal("http \(error.status.code)")
        }
    }
}
