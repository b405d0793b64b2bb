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
        } catch let error as ChatError {
            if case .internal(let detail) = error { context.logger.error("internal error", metadata: ["error": "\(detail)"]) }
            return JSONResponse.failure(error, status: Self.status(for: error))
        } catch let error as HTTPError {
            let chatError = Self.chatError(for: error)
            return JSONResponse.failure(chatError, status: Self.status(for: chatError))
        } catch is NIOTooManyBytesError {
            let tooLarge = ChatError.payloadTooLarge(limitBytes: ChatRequestContext.bodyLimit)
            return JSONResponse.failure(tooLarge, status: Self.status(for: tooLarge))
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return JSONResponse.failure(.internal("unhandled"), status: .internalServerError)
        }
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
