import ChatCore
import Hummingbird

/// Holds a rate-limited answer of the public auth routes (login, register, refresh, logout) for a moment before it
/// is sent.
///
/// A client that ignores `Retry-After` and asks again at once would otherwise make the server answer refusals as
/// fast as its connections allow: 50 such clients drew about 12,000 429s a second from one core, and answering them
/// cost the chat's messages a p99 ten times the quiet one. Held for a second, each connection asks at most once a
/// second; the wait is a sleeping task (no thread, no CPU), and a client has at most one request in flight per
/// connection, so what is held is bounded by the connections the server accepts anyway.
struct RefusalDelayMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext
    let delay: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch ChatError.rateLimited(let seconds) {
            // A shutdown cancels the sleep; the refusal is then sent at once.
            try? await Task.sleep(for: delay)
            throw ChatError.rateLimited(retryAfterSeconds: seconds)
        }
    }
}
