import Hummingbird

/// Liveness and readiness probes for orchestrators.
struct HealthController {
    let services: ChatServices

    private struct Status: Encodable, Sendable { var status: String }

    func addRoutes(to router: Router<ChatRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.success(Status(status: "ok")) }
        router.get("readyz") { _, context in
            do {
                try await services.store.ping()
                return try JSONResponse.success(Status(status: "ready"))
            } catch {
                context.logger.warning("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
                return JSONResponse.failure(.internal("database unreachable"), status: .serviceUnavailable)
            }
        }
    }
}
