import ChatCore
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the whole server: database, services, routes. `chatone serve` and the tests both start here.
public func buildApplication(config: ServerConfig, logger: Logger) async throws -> some ApplicationProtocol {
    let secret = try resolveJWTSecret(config, logger: logger)
    let services = try await ChatServices.start(config: config, jwtSecret: secret, logger: logger)
    let router = buildRouter(services: services, config: config)
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "chatone"),
        services: [DatabaseService(backend: services.backend, logger: logger)],
        logger: logger)
}

/// All routes under their middleware, in the order errors and logging need: CORS outermost so error responses
/// carry its headers, then logging (it sees the final status), then the envelope translation.
public func buildRouter(services: ChatServices, config: ServerConfig) -> Router<ChatRequestContext> {
    let router = Router(context: ChatRequestContext.self)
    router.add(middleware: CORSMiddleware(origins: config.corsOrigins))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ErrorEnvelopeMiddleware())
    HealthController(services: services).addRoutes(to: router)

    let api = router.group("api/v1")
    let auth = AuthController(services: services)
    auth.addPublicRoutes(to: api.group("auth"))
    let authenticated = api.group().add(middleware: AuthMiddleware(auth: services.auth))
    auth.addAuthenticatedRoutes(to: authenticated.group("auth"))
    UserController(services: services).addRoutes(to: authenticated.group("users"))
    ConversationController(services: services).addRoutes(to: authenticated.group("conversations"))
    return router
}

/// The configured secret, or a random one with a warning: tokens then die with the process.
func resolveJWTSecret(_ config: ServerConfig, logger: Logger) throws -> String {
    if let secret = config.jwtSecret {
        guard secret.utf8.count >= AccessTokenSigner.minimumSecretBytes else {
            throw ChatError.validation(
                "CHATONE_JWT_SECRET must be at least \(AccessTokenSigner.minimumSecretBytes) bytes", field: "CHATONE_JWT_SECRET")
        }
        return secret
    }
    logger.warning("CHATONE_JWT_SECRET is not set: using a random secret; tokens will not survive a restart")
    return SecureRandom.token(byteCount: 48)
}
