import ChatCore
import Hummingbird
import Logging
import ServiceLifecycle
import SocketIO

/// Builds the whole server: database, services, routes. The tests start here; `chatone serve` runs the same
/// application through ``buildChatApplication(config:logger:)``, which adds the drain on SIGTERM.
public func buildApplication(config: ServerConfig, logger: Logger) async throws -> some ApplicationProtocol {
    try await buildChatApplication(config: config, logger: logger).application
}

/// Builds the whole server and what its graceful shutdown needs (see ``ChatApplication``).
public func buildChatApplication(config: ServerConfig, logger: Logger) async throws -> ChatApplication {
    let secret = try resolveJWTSecret(config, logger: logger)
    // One registry per server: `GET /metrics` shows this server's numbers only.
    let metrics = ServerMetrics()
    let chat = try await ChatServices.start(config: config, jwtSecret: secret, logger: logger, metrics: metrics.chat)
    let io = buildSocketServer(services: chat, config: config, logger: logger, metrics: metrics)
    let router = try buildRouter(services: chat, config: config, metrics: metrics, io: io)
    // Long-polling goes through the router, under the same CORS middleware as REST; WebSocket upgrades are
    // taken by the server builder before routing.
    io.addRoutes(to: router)
    var services: [any Service] = [
        ThreadPoolService(pool: chat.bcryptPool, name: "bcrypt", logger: logger),
        DatabaseService(backend: chat.backend, presence: chat.presence, logger: logger),
    ] + (chat.cluster.map { [$0] } ?? []) + [io]
    if let address = config.metricsAddress {
        services.append(buildMetricsApplication(address: address, metrics: metrics, services: chat, io: io, logger: logger))
    }
    let application = Application(
        router: router,
        server: .socketIO(io, requestTimeout: .seconds(config.requestTimeout)),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "chatone"),
        // Shut down in reverse: the HTTP server stops taking connections and finishes the requests in flight, the
        // metrics listener (if any) closes, the socket server closes what is left (its disconnect hooks still write
        // lastSeenAt), the database closes once presence has stored every offline still in its grace, and the
        // bcrypt threads stop last.
        services: services,
        logger: logger)
    return ChatApplication(application: application, io: io, shutdownGrace: config.shutdownGrace, logger: logger)
}

/// The Socket.IO server at `/socket.io/`, namespace `/`, with ChatOne's handlers, attached as the real-time
/// delivery path of `services`.
func buildSocketServer(services: ChatServices, config: ServerConfig, logger: Logger, metrics: ServerMetrics) -> SocketIOServer {
    // CORS for polling is the router's CORSMiddleware (one configuration for REST and sockets), so the
    // engine adds no CORS headers of its own.
    let addresses = ClientAddressResolver(trustedProxies: config.trustedProxies)
    let handshakes = services.limits.handshakesPerAddress
    let configuration = SocketIOConfiguration(
        path: "/socket.io", pingInterval: .seconds(config.socketPingInterval),
        pingTimeout: .seconds(config.socketPingTimeout), maxPayload: config.socketMaxPayload,
        connectTimeout: .seconds(config.socketConnectTimeout), allowedOrigins: nil,
        // ChatOne's events carry JSON only; a few attachments keep generic clients working, no more.
        maxAttachments: 2, maxPendingEvents: config.socketMaxEventsInFlight, maxPendingSessions: config.socketMaxPendingSessions,
        handshakeFilter: { request in
            // Before any session exists: a flood of new connections from one address costs a dictionary lookup each.
            let address = addresses.resolve(remote: request.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor])
            guard let address, let wait = handshakes.acquire(address) else { return .allow }
            return .refuse(status: 429, retryAfter: wait)
        },
        // The token is checked once, at CONNECT; keeping the auth object for the socket's life would only cost memory.
        retainsHandshakeAuth: false,
        connectionStateRecovery: config.recoveryWindow > 0
            ? SocketIORecoveryConfiguration(window: .seconds(config.recoveryWindow), maxEvents: config.recoveryMaxEvents) : nil)
    // In a cluster, recovery keeps sessions in the database and offsets any node can read (ClusterRecoveryStore).
    let clusterRecovery = configuration.connectionStateRecovery.flatMap { settings in services.cluster?.makeRecoveryStore(configuration: settings) }
    let io = SocketIOServer(configuration: configuration, logger: logger, recoveryStore: clusterRecovery)
    ChatSocketGateway(services: services, logger: logger, quota: SocketQuota(limitPerUser: config.maxSocketsPerUser), metrics: metrics)
        .install(on: io.sockets)
    let local = SocketIOBroadcaster(namespace: io.sockets, metrics: metrics)
    if let cluster = services.cluster {
        cluster.attach(
            ClusterNode.Wiring(
                store: services.store, local: local, sessions: services.sessionSockets, deliveries: services.realtime.deliveries,
                presence: services.presence, recovery: clusterRecovery))
        services.realtime.emitter.attach(ClusterBroadcaster(local: local, node: cluster))
    } else {
        services.realtime.emitter.attach(local)
    }
    return io
}

/// All routes under their middleware, in the order errors and logging need: CORS outermost so error responses
/// carry its headers, then tracing, metrics and logging (they see the final status), then the envelope translation.
///
/// Every route is registered here, from the controllers' route collections.
public func buildRouter(services: ChatServices, config: ServerConfig) throws -> Router<ChatRequestContext> {
    try buildRouter(services: services, config: config, metrics: ServerMetrics(), io: nil)
}

func buildRouter(services: ChatServices, config: ServerConfig, metrics: ServerMetrics, io: SocketIOServer?) throws -> Router<ChatRequestContext> {
    let router = Router(context: ChatRequestContext.self)
    router.add(middleware: CORSMiddleware(origins: config.corsOrigins))
    // A span per request once a tracer is bootstrapped (docs/operations.md, "Tracing"); a no-op until then. Tokens
    // (older Socket.IO clients put them in the query) and search text are redacted from the recorded query.
    router.add(middleware: TracingMiddleware(redactingQueryParameters: ["token", "access_token", "auth", "q"]))
    router.add(middleware: HTTPMetricsMiddleware(metrics: metrics))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ErrorEnvelopeMiddleware())
    router.add(middleware: ClientAddressMiddleware(resolver: ClientAddressResolver(trustedProxies: config.trustedProxies)))
    router.addRoutes(HealthController(services: services).routes)
    router.addRoutes(try WebClientController().routes)
    if config.metricsAddress == nil {
        router.addRoutes(MetricsController<ChatRequestContext>(metrics: metrics, services: services, io: io).routes)
    }

    let auth = AuthController(services: services)
    router.addRoutes(try OpenAPIController().routes, atPath: "api/v1")
    let publicAuth = router.group("api/v1/auth")
    if config.authRefusalDelay > .zero { publicAuth.add(middleware: RefusalDelayMiddleware(delay: config.authRefusalDelay)) }
    publicAuth.addRoutes(auth.publicRoutes)
    let authenticated = router.group("api/v1").add(middleware: AuthMiddleware(auth: services.auth))
    authenticated.addRoutes(auth.authenticatedRoutes, atPath: "auth")
    authenticated.addRoutes(UserController(services: services).routes, atPath: "users")
    authenticated.addRoutes(ConversationController(services: services).routes, atPath: "conversations")
    authenticated.addRoutes(GroupController(services: services).routes, atPath: "conversations")
    authenticated.addRoutes(MessageController(services: services).routes, atPath: "conversations")
    authenticated.addRoutes(BlockController(services: services).routes, atPath: "blocks")
    authenticated.addRoutes(SearchController(services: services).routes, atPath: "search")
    return router
}

/// `GET /metrics` alone on its own listener (`CHATONE_METRICS_ADDRESS`), so that it need not be public.
func buildMetricsApplication(
    address: ListenAddress, metrics: ServerMetrics, services: ChatServices, io: SocketIOServer, logger: Logger
) -> some Service {
    let router = Router(context: BasicRequestContext.self)
    router.addRoutes(MetricsController<BasicRequestContext>(metrics: metrics, services: services, io: io).routes)
    return Application(
        router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: "chatone-metrics"),
        logger: logger)
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
