import ChatCore
import ChatSQL
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The services one running server shares between its transports.
public struct ChatServices: Sendable {
    public let store: any ChatStore
    public let backend: any SQLBackend
    public let auth: AuthService
    public let users: UserService
    public let conversations: ConversationService
    public let messages: MessageService
    /// Live presence; every user reads as offline until the real-time layer provides it.
    public let isOnline: @Sendable (Int64) -> Bool

    /// Opens the database, applies migrations and wires the services.
    public static func start(config: ServerConfig, jwtSecret: String, logger: Logger) async throws -> ChatServices {
        let backend = try await ChatDatabase.open(config.databaseURL, logger: logger)
        do {
            try await Migrator(backend: backend, logger: logger).migrate()
            let store = SQLChatStore(backend: backend)
            let ids = IDGenerator()
            let bcryptPool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
            bcryptPool.start()
            let signer = try await AccessTokenSigner(secret: jwtSecret, timeToLive: config.accessTokenTTL)
            let auth = AuthService(
                store: store, hasher: PasswordHasher(cost: config.bcryptCost, threadPool: bcryptPool), signer: signer,
                refreshTokenTTL: config.refreshTokenTTL, ids: ids, logger: logger)
            let conversations = ConversationService(store: store, ids: ids)
            let messages = MessageService(store: store, conversations: conversations, appender: MessageAppender(store: store), ids: ids)
            return ChatServices(
                store: store, backend: backend, auth: auth, users: UserService(store: store), conversations: conversations,
                messages: messages, isOnline: { _ in false })
        } catch {
            await backend.shutdown()
            throw error
        }
    }
}
