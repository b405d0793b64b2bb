import HTTPTypes
import Hummingbird
import Logging

/// Logs each request's method, path, status and duration, and tells the client the request's id
/// (`X-Request-Id`, the `hb.request.id` of every log line the request causes), so that a user's report can be
/// matched to the server's log. Only the path is logged: query strings may carry tokens (Socket.IO clients put
/// them there), and tokens never reach a log.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        response.headers[Self.requestID] = context.id
        return response
    }

    static var requestID: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
}
