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
    private let recovery: SocketIORecovery?
    /// Every connection whose disconnect handlers have not finished yet, for ``drain(timeout:)``.
    private let clients = Mutex<[ObjectIdentifier: SocketIOClient]>([:])

    /// Creates a server.
    ///
    /// - Parameters:
    ///   - adapter: makes the adapter of each namespace; in-memory by default.
    ///   - recoveryStore: where connection state recovery keeps sessions and events when
    ///     `configuration.connectionStateRecovery` is set; in memory (``SocketIOMemoryRecoveryStore``) by default.
    public init(
        configuration: SocketIOConfiguration = .init(),
        logger: Logger = Logger(label: "SocketIO"),
        adapter: @escaping @Sendable (SocketIONamespace) -> any SocketIOAdapter = { SocketIOMemoryAdapter(namespace: $0) },
        recoveryStore: (any SocketIORecoveryStore)? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.makeAdapter = adapter
        self.recovery = configuration.connectionStateRecovery.map { settings in
            SocketIORecovery(store: recoveryStore ?? SocketIOMemoryRecoveryStore(configuration: settings), configuration: settings, logger: logger)
        }
        self.namespaces = Mutex([:])
        let box = WeakServerBox()
        self.engine = EngineIOServer(configuration: configuration.engine, logger: logger) { engineSocket in
            guard let server = box.server else { return ClosedConnectionDelegate() }
            let client = SocketIOClient(engine: engineSocket, server: server)
            server.clients.withLock { $0[ObjectIdentifier(client)] = client }
            return client
        }
        box.set(self)
        _ = of("/")
    }

    /// The namespace with this name, created on first use. Names start with `/`.
    public func of(_ name: String) -> SocketIONamespace {
        let name = name.hasPrefix("/") ? name : "/" + name
        if let existing = existingNamespace(name) { return existing }
        let created = SocketIONamespace(name: name, logger: logger, recovery: recovery, makeAdapter: makeAdapter)
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

    /// A connection's disconnect handlers finished.
    func clientFinished(_ client: SocketIOClient) {
        _ = clients.withLock { $0.removeValue(forKey: ObjectIdentifier(client)) }
    }

    /// Drains the server before it goes away, without losing an answer already owed.
    ///
    /// New handshakes are refused (503) and no client packet is admitted any more. On every connection the event
    /// already running finishes and its ack is sent; events queued behind it are dropped unanswered (the client
    /// sends them again after it reconnects). Then each connection is closed as a transport close, which standard
    /// clients answer by reconnecting (to another server, behind a load balancer), and its disconnect handlers
    /// run. Connections still busy when `timeout` runs out are closed at once, as ``close()`` does.
    ///
    /// - Returns: whether every connection drained within `timeout`.
    @discardableResult
    public func drain(timeout: Duration) async -> Bool {
        engine.refuseNewSessions()
        let draining = clients.withLock { Array($0.values) }
        let drained = await Self.race(timeout) {
            await withTaskGroup(of: Void.self) { group in
                for client in draining { group.addTask { await client.drainAndClose() } }
            }
        }
        if !drained {
            logger.warning("connections still busy at the end of the drain were closed", metadata: ["timeout": "\(timeout)"])
            close()
        }
        return drained
    }

    /// Runs `work` for at most `timeout`; returns whether it finished in time. Work still running goes on unawaited.
    private static func race(_ timeout: Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
        let gate = Mutex<(result: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))
        let open: @Sendable (Bool) -> Void = { result in
            let waiter = gate.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: result)
        }
        let worker = Task { await work(); open(true) }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            open(false)
        }
        // A cancelled caller stops waiting at once, as if the time had run out.
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let ready = gate.withLock { state -> Bool? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            open(false)
        }
        timer.cancel()
        _ = worker
        return result
    }

    /// Runs until graceful shutdown, then drains every connection (see ``drain(timeout:)``; at most 10 s here, and
    /// a `ServiceGroup`'s own limit or cancellation ends it sooner).
    public func run() async throws {
        try? await gracefulShutdown()
        await withTaskCancellationHandler {
            await drain(timeout: .seconds(10))
        } onCancel: {
            self.close()
        }
    }
}

/// Breaks the init-time cycle between the server and its engine's connection factory.
private final class WeakServerBox: Sendable {
    private let box = Mutex<WeakReference?>(nil)
    /// A value type holding a weak reference to a `Sendable` class is `Sendable` itself; the Mutex orders the
    /// reads and the one write.
    private struct WeakReference: Sendable {
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
