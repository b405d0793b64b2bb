import Hummingbird
import Logging
import ServiceLifecycle
import SocketIO

/// The server as `chatone serve` runs it: the Hummingbird application, plus the drain that a graceful shutdown
/// (SIGTERM, SIGINT) performs before the HTTP server stops.
///
/// Hummingbird stops its HTTP server first and the application's services after it, so the sockets must be drained
/// before that happens, or the HTTP server would cut them (and their acks) off. `runService` therefore runs the
/// application beside a ``SocketDrainService`` that is told of the shutdown first:
/// 1. The socket server refuses new connections and new events; the event running on each connection (a
///    `message:send` waiting for its commit, say) finishes and is acked; then every socket is closed as a transport
///    close, so clients reconnect (elsewhere), and its disconnect hooks run (presence, `lastSeenAt`).
/// 2. The HTTP server closes its listener and finishes the requests in flight (REST sends are acked).
/// 3. Presence stores every offline still in its grace; the database closes. An append that still arrives is
///    answered with an error, never left waiting.
///
/// The whole of it is bounded by `CHATONE_SHUTDOWN_GRACE`: the socket drain gets 60% of it, the service group
/// cancels what still runs at 90%, and at the full grace `onOverrun` is called (`chatone serve` exits then).
public struct ChatApplication: Sendable {
    /// The Hummingbird application (router, HTTP and socket server, database service).
    public let application: Application<RouterResponder<ChatRequestContext>>
    let io: SocketIOServer
    let shutdownGrace: Double
    let logger: Logger

    /// Runs until SIGTERM or SIGINT, then shuts down as described above.
    ///
    /// - Parameter onOverrun: called if the shutdown is still not done when the grace has run out.
    public func runService(onOverrun: @escaping @Sendable () -> Void) async throws {
        let grace = Duration.milliseconds(Int64(shutdownGrace * 1000))
        let drain = SocketDrainService(io: io, timeout: grace * 0.6, grace: grace, logger: logger, onOverrun: onOverrun)
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application), .init(service: drain)], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = grace * 0.9
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// Waits for graceful shutdown, then drains the socket server (``SocketIOServer/drain(timeout:)``). Listed after
/// the application in its service group, so it is the first to hear of the shutdown.
struct SocketDrainService: Service {
    let io: SocketIOServer
    let timeout: Duration
    let grace: Duration
    let logger: Logger
    let onOverrun: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        let (grace, logger, onOverrun) = (self.grace, self.logger, self.onOverrun)
        // A watchdog, not a child task: it must outlive this service, which returns once the sockets are drained.
        Task.detached {
            try? await Task.sleep(for: grace)
            logger.error("graceful shutdown did not finish within the grace (CHATONE_SHUTDOWN_GRACE)")
            onOverrun()
        }
        logger.info("shutting down: draining sockets", metadata: ["connections": "\(io.connectionCount)"])
        let drained = await io.drain(timeout: timeout)
        logger.info("sockets drained", metadata: ["complete": "\(drained)"])
    }
}
