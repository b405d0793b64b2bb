import ChatCore
import Hummingbird

/// Requires `Authorization: Bearer <accessToken>` and records who the caller is.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext
    let auth: AuthService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw ChatError.unauthorized("missing bearer token") }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw ChatError.unauthorized("malformed authorization header")
        }
        var context = context
        context.identity = try await auth.authenticate(accessToken: String(parts[1]))
        return try await next(request, context)
    }
}
