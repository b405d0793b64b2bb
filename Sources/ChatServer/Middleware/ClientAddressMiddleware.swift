import Hummingbird
import HTTPTypes

/// Works out the client's address once per request (see ``ClientAddressResolver``).
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext
    let resolver: ClientAddressResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = resolver.resolve(remote: context.remoteAddress, forwardedFor: request.headers[.xForwardedFor])
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
