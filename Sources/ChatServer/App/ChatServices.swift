import ChatCore
import ChatSQL
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import SocketIO

/// The services one running server shares between its transports.
public struct ChatServices: Sendable {
    public let store: any ChatStore
    public let backend: any SQLBackend
    public let auth: AuthService
    public let users: UserService
    public let conversations: ConversationService
    public let messages: MessageService
    /// Live presence: connection counts per user, `lastSeenAt`, and `presence:update` to contacts.
    public let presence: PresenceService
    /// Whether a user has a live socket right now; REST user objects show it as `online`.
    public let isOnline: @Sendable (Int64) -> Bool
    /// The rate limits every transport shares.
    public let limits: RateLimits
    /// Real-time delivery shared by the socket handlers and REST.
    let realtime: RealtimeHub
    /// Sockets per login; told by ``AuthService`` about every revoked login, whose sockets it then disconnects.
    let sessionSockets: SessionSocketRegistry
    /// This process as a node of a cluster: on PostgreSQL, always (a single node is a cluster of one).
    let cluster: ClusterNode?
    /// The threads bcrypt runs on, started here; the application's ``ThreadPoolService`` shuts them down.
    let bcryptPool: SpareTimePool
    /// bcrypt hashes running or waiting now (`chatone_bcrypt_queue_depth`).
    let bcryptQueueDepth: @Sendable () -> Int
    /// Returns freed memory to the system after waves of disconnects (on the bcrypt pool's nice-10 rescue thread).
    let memoryTrimmer: FreedMemoryTrimmer

    /// Opens the database, applies migrations and wires the services.
    ///
    /// - Parameter metrics: where the services record (the server's registry); nothing by default.
    public static func start(config: ServerConfig, jwtSecret: String, logger: Logger, metrics: ChatMetrics = .disabled) async throws -> ChatServices {
        var options = config.databaseOptions
        options.metrics = metrics
        let backend = try await ChatDatabase.open(config.databaseURL, options: options, logger: logger)
        // One spare-time thread per core the process may run on: a second one on the same core adds no hashing and,
        // when one is preempted holding a lock a request needs (malloc's), the kernel may run the other first.
        let bcryptThreads = CPUAffinity.usableCores
        let bcryptPool = SpareTimePool(
            .init(threads: bcryptThreads, starvedShare: Double(config.bcryptRescueBelowPercent) / 100),
            rescueCounter: metrics.bcryptRescues())
        bcryptPool.start()
        do {
            try await Migrator(backend: backend, logger: logger).migrate()
            let store = SQLChatStore(backend: backend)
            var cluster: ClusterNode?
            if let postgres = backend as? PostgresBackend { cluster = try await ClusterNode.join(backend: postgres, logger: logger) }
            let ids = cluster.map { IDGenerator(node: $0.nodeID) } ?? IDGenerator()
            let limits = RateLimits(config.rateLimits, metrics: metrics)
            let signer = try await AccessTokenSigner(secret: jwtSecret, timeToLive: config.accessTokenTTL)
            let hasher = PasswordHasher(
                cost: config.bcryptCost, pool: bcryptPool, maxQueued: config.bcryptQueueLimit ?? max(8, 4 * bcryptThreads), metrics: metrics)
            let auth = AuthService(
                store: store, hasher: hasher,
                signer: signer, refreshTokenTTL: config.refreshTokenTTL, ids: ids, logger: logger, limits: limits,
                // A single node makes every revocation itself, so it can trust a login it read as live until it revokes
                // it. In a cluster another node may revoke it, and the bus would tell this one only after a moment,
                // during which a token "revoked at once" would still pass here: every check reads the database.
                liveSessions: cluster == nil ? LiveSessionCache() : nil)
            let sessionSockets = SessionSocketRegistry(
                logger: logger,
                revokedEmitted: Counter(
                    label: "chatone_socket_events_emitted_total", dimensions: [("event", RealtimeEvent.sessionRevoked)], factory: metrics.factory))
            auth.revocations.setObserver(cluster.map { ClusterRevocationObserver(local: sessionSockets, node: $0) } ?? sessionSockets)
            let conversations = ConversationService(store: store, ids: ids)
            let emitter = RealtimeEmitter(logger: logger)
            var relay: ConversationDelivery.Relay?
            if let node = cluster {
                relay = { conversationID, revoked, restored in
                    await node.relayMembership(conversationID: conversationID, revoked: revoked, restored: restored)
                }
            }
            let deliveries = ConversationDelivery(
                relay: relay,
                emit: { appended, memberIDs, exceptSocket in
                    await emitter.emit(RealtimeEvent.messageNew, encoded: APIMessage.encoded(appended), toUsers: memberIDs, exceptSocket: exceptSocket)
                },
                emitChange: { change, memberIDs in await emitter.emit(change, toUsers: memberIDs) })
            // Each commit's new messages are encoded once and go straight to delivery, in commit order, before their
            // senders resume; the senders' acks reuse the same bytes. Edits, deletes and reactions take the same
            // writer and delivery stage, so they keep the conversation's order.
            let appender = MessageAppender(
                store: store, encode: APIMessage.encode,
                // In a cluster the node sequences them with what other nodes committed, and announces them.
                deliver: { [cluster] batch in
                    if let cluster { await cluster.deliverLocal(batch) } else { await deliveries.deliver(batch) }
                },
                deliverChange: { await deliveries.deliver(change: $0) },
                // A batch's acks and `message:new`s wake each event loop once, not once per connection.
                scope: { handOver in await SocketIOWakeups.batched(handOver) }, metrics: metrics)
            let messages = MessageService(store: store, conversations: conversations, appender: appender, ids: ids, limits: limits)
            let presence = PresenceService(store: store, logger: logger, offlineGrace: .milliseconds(Int64(config.presenceGrace * 1000)))
            presence.setPublisher { change, audience in
                await emitter.emit(RealtimeEvent.presenceUpdate, APIPresence(change), toUsers: audience)
            }
            let realtime = RealtimeHub(
                conversations: conversations, messages: messages, presence: presence, deliveries: deliveries, emitter: emitter, limits: limits,
                blocks: BlockService(store: store))
            return ChatServices(
                store: store, backend: backend, auth: auth, users: UserService(store: store), conversations: conversations,
                messages: messages, presence: presence, isOnline: { presence.isOnline($0) }, limits: limits, realtime: realtime,
                sessionSockets: sessionSockets, cluster: cluster, bcryptPool: bcryptPool, bcryptQueueDepth: { hasher.queued },
                memoryTrimmer: FreedMemoryTrimmer(
                    pool: bcryptPool, retainedFor: config.recoveryWindow > 0 ? .seconds(config.recoveryWindow) : nil))
        } catch {
            try? await bcryptPool.shutdownGracefully()
            await backend.shutdown()
            throw error
        }
    }
}
