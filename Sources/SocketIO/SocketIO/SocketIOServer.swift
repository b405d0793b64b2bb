public import Logging
public import ServiceLifecycle
import Synchronization

/// A Socket.IO v5 server over Engine.IO v4, for Hummingbird.
///
/// ```swift
/// let io = SocketIOServer(configuration: .init(pingInterval: .seconds(25)))
/// io.of("/").use { socket in
///     guard socket.handshake.bearerToken == "secret" else {
///         throw SocketIOConnectError("unauthorized", data: ["code": "UNAUTHORIZED"])
///     }
/// }
/// io.of("/").on("join") { event in
///     guard let room = event.payload?.stringValue else { return }
///     await event.socket.join(room)
///     event.ack?("ok")
/// }
/// io.addRoutes(to: router)
/// let app = Application(router: router, server: .socketIO(io), services: [io])
/// ```
///
/// As a `Service`, `run()` waits for graceful shutdown and then closes every connection.
public final class SocketIOServer: Sendable, Service {
    /// The server's settings.
    public let configuration: SocketIOConfiguration
    /// The Engine.IO endpoint carrying the connections.
    public let engine: EngineIOServer
    let logger: Logger
    private let namespaces: Mutex<[String: SocketIONamespace]>
    private let makeAdapter: @Sendable (SocketIONamespace) -> any SocketIOAdapter

    /// Creates a server.
    ///
    /// - Parameter adapter: makes the adapter of each namespace; in-memory by default.
    public init(
        configuration: SocketIOConfiguration = .init(),
        logger: Logger = Logger(label: "SocketIO"),
        adapter: @escaping @Sendable (SocketIONamespace) -> any SocketIOAdapter = { SocketIOMemoryAdapter(namespace: $0) }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.makeAdapter = adapter
        self.namespaces = Mutex([:])
        let box = WeakServerBox()
        self.engine = EngineIOServer(configuration: configuration.engine, logger: logger) { engineSocket in
            guard let server = box.server else { return ClosedConnectionDelegate() }
            return SocketIOClient(engine: engineSocket, server: server)
        }
        box.set(self)
        _ = of("/")
    }

    /// The namespace with this name, created on first use. Names start with `/`.
    public func of(_ name: String) -> SocketIONamespace {
        let name = name.hasPrefix("/") ? name : "/" + name
        if let existing = existingNamespace(name) { return existing }
        let created = SocketIONamespace(name: name, logger: logger, makeAdapter: makeAdapter)
        return namespaces.withLock { namespaces in
            if let existing = namespaces[name] { return existing }
            namespaces[name] = created
            return created
        }
    }

    /// The main namespace, `/`.
    public var sockets: SocketIONamespace { of("/") }

    func existingNamespace(_ name: String) -> SocketIONamespace? {
        namespaces.withLock { $0[name] }
    }

    /// Number of open Engine.IO connections.
    public var connectionCount: Int { engine.sessionCount }

    /// Closes every connection; sockets disconnect with reason "server shutting down".
    public func close() {
        engine.closeAll(reason: .serverShutdown)
    }

    /// Runs until graceful shutdown, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        close()
        // Give transports a moment to flush close frames and disconnect hooks to run.
        try? await Task.sleep(for: .milliseconds(100))
    }
}

/// Breaks the init-time cycle between the server and its engine's connection factory.
private final class WeakServerBox: Sendable {
    private let box = Mutex<WeakReference?>(nil)
    private struct WeakReference: @unchecked Sendable {
        // Guarded by the enclosing Mutex; only read and written under `box`.
        weak var server: SocketIOServer?
    }

    var server: SocketIOServer? { box.withLock { $0?.server } }
    func set(_ server: SocketIOServer) { box.withLock { $0 = WeakReference(server: server) } }
}

/// Used only if a connection arrives while the server is being torn down.
private struct ClosedConnectionDelegate: EngineIOSocketDelegate {
    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) async {
        socket.close()
    }
    func engineSocket(_ socket: EngineIOSocket, didCloseWith reason: EngineIOCloseReason) async {}
}
