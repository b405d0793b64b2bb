import ChatCore
import Hummingbird

/// Liveness and readiness probes for orchestrators.
struct HealthController {
    let services: ChatServices

    struct Status: Encodable, Sendable { var status: String }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get("healthz", use: live)
            .get("readyz", use: ready)
    }

    @Sendable func live(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<Status> {
        SuccessEnvelope(Status(status: "ok"))
    }

    @Sendable func ready(_ request: Request, context: ChatRequestContext) async throws -> Response {
        do {
            try await services.store.ping()
            return try SuccessEnvelope(Status(status: "ready")).response(from: request, context: context)
        } catch {
            context.logger.warning("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
            var response = ErrorEnvelopeMiddleware.response(for: .internal("database unreachable"), request: request, context: context)
            response.status = .serviceUnavailable
            return response
        }
    }
}
