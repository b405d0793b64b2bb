import ChatSQL
import Logging
import ServiceLifecycle

/// Keeps the database open for the life of the server and closes it after graceful shutdown, once the HTTP
/// server (which the service group stops first) no longer needs it.
struct DatabaseService: Service {
    let backend: any SQLBackend
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await backend.shutdown()
        logger.info("database closed")
    }
}
