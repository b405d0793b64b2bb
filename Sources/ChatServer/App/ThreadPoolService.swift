import Logging
import ChatCore
import ServiceLifecycle

/// Keeps a started thread pool (the bcrypt pool) for the life of the server and shuts it down after graceful
/// shutdown, once the HTTP and socket servers, listed after it, have finished the requests that hash passwords.
///
/// Without it the pool's threads outlive the application: every test server would leave a pool behind.
struct ThreadPoolService: Service {
    let pool: SpareTimePool
    let name: String
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        try await pool.shutdownGracefully()
        logger.debug("thread pool stopped", metadata: ["pool": "\(name)"])
    }
}
