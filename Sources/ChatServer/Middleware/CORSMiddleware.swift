import Hummingbird

/// Lets browsers on the configured origins call the API (`CHATONE_CORS_ORIGINS`); by default none may.
/// Hummingbird's own CORS middleware takes one origin, and ChatOne's configuration is a list.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>

    init(origins: [String]) {
        self.allowedOrigins = Set(origins)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], let allowed = allowedValue(for: origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .noContent)
            apply(allowed, to: &response.headers)
            response.headers[.accessControlAllowMethods] = "GET, POST, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type"
            response.headers[.accessControlMaxAge] = "600"
            return response
        }
        var response = try await next(request, context)
        apply(allowed, to: &response.headers)
        return response
    }

    private func allowedValue(for origin: String) -> String? {
        if allowedOrigins.contains(origin) { return origin }
        return allowedOrigins.contains("*") ? "*" : nil
    }

    private func apply(_ value: String, to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = value
        if value != "*" {
            headers[.vary] = "Origin"
            headers[.accessControlAllowCredentials] = "true"
        }
    }
}
