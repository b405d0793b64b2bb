import Hummingbird

/// Counts every request by route template, method and status, and times it
/// (`chatone_http_requests_total`, `chatone_http_request_duration_seconds`).
///
/// The route is the template the router matched (`/api/v1/conversations/{id}/messages`), never the path the client
/// sent, so ids and typos never become label values; a path no route matches is `unmatched`. Placed outside the
/// envelope middleware, it sees the status the client gets.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context: context, status: Int(response.status.code), since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context: context, status: Int(status), since: start)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.recordRequest(route: route, method: Self.method(request.method), status: status, duration: .now - start)
    }

    /// The methods HTTP defines; anything else a client invents is `other`.
    private static func method(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: method.rawValue
        default: "other"
        }
    }
}
