import ChatCore
import ChatSQL
import Logging
import ServiceLifecycle

/// Keeps the database open for the life of the server and closes it after graceful shutdown, once the HTTP
/// server and the socket server (which the service group stops first) no longer need it.
struct DatabaseService: Service {
    let backend: any SQLBackend
    /// Sockets closed during shutdown still record `lastSeenAt`; that work must finish before the database goes.
    let presence: PresenceService
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await presence.settle()
        await backend.shutdown()
        logger.info("database closed")
    }
}
