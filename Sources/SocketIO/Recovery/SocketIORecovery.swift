import Logging
import Synchronization

/// Connection state recovery for a server: the store, the settings, and what the server does around them
/// (recording an event before it is delivered, keeping a dropped socket's session, restoring it).
///
/// A failing store never costs a connection: an event it could not record is delivered without an offset, and
/// from then on, for one `window`, no client is recovered (the one whose missed events include it could not be
/// told everything); a session it cannot keep or give back makes a new connection.
final class SocketIORecovery: Sendable {
    let store: any SocketIORecoveryStore
    let configuration: SocketIORecoveryConfiguration
    private let logger: Logger
    private let lastAppendFailure = Mutex<ContinuousClock.Instant?>(nil)

    init(store: any SocketIORecoveryStore, configuration: SocketIORecoveryConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Whether an event is recorded: events without an ack (an ack cannot be replayed) that may not be dropped.
    static func records(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions) -> Bool {
        packet.type == .event && packet.id == nil && !options.isVolatile
    }

    /// The packet with its offset appended, as recorded; the packet as given if it could not be recorded.
    func record(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions) async -> SocketIOPacket {
        do {
            let offset = try await store.append(packet, to: options)
            var recorded = packet
            recorded.data = .array((packet.data?.arrayValue ?? []) + [.string(offset)])
            return recorded
        } catch {
            appendFailed(error)
            return packet
        }
    }

    /// An event could not be recorded: no client is recovered for one window from now.
    private func appendFailed(_ error: any Error) {
        let now = ContinuousClock.now
        let firstInWindow = lastAppendFailure.withLock { last in
            defer { last = now }
            return last.map { now - $0 > configuration.window } ?? true
        }
        // Once per window: a store that stays down must not log every event.
        if firstInWindow {
            logger.warning("recovery store could not record an event; recovery is off for one window", metadata: ["error": "\(error)"])
        }
    }

    /// As ``record(_:options:)`` for several packets, in order, with one call to the store. Packets that are not
    /// recorded (``records(_:options:)``) are returned as given; if the store fails, all of them are.
    func record(_ items: [(SocketIOPacket, SocketIOBroadcastOptions)]) async -> [SocketIOPacket] {
        let recordable = items.filter { Self.records($0.0, options: $0.1) }
        guard !recordable.isEmpty else { return items.map(\.0) }
        let offsets: [String]
        do {
            offsets = try await store.append(recordable.map { (packet: $0.0, target: $0.1) })
        } catch {
            appendFailed(error)
            return items.map(\.0)
        }
        var next = offsets.makeIterator()
        return items.map { packet, options in
            guard Self.records(packet, options: options), let offset = next.next() else { return packet }
            var recorded = packet
            recorded.data = .array((packet.data?.arrayValue ?? []) + [.string(offset)])
            return recorded
        }
    }

    /// The newest offset, or nil (no event yet, or the store failed: the session then has no base).
    func latestOffset() async -> String? {
        do { return try await store.latestOffset() } catch {
            logger.warning("recovery store failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func persist(_ session: SocketIOPersistedSession) async {
        do { try await store.persist(session) } catch {
            logger.warning("recovery store could not keep a session", metadata: ["error": "\(error)"])
        }
    }

    func opened(_ session: SocketIOPersistedSession) async {
        do { try await store.opened(session) } catch {
            logger.warning("recovery store could not keep a connected socket's session", metadata: ["error": "\(error)"])
        }
    }

    func closed(pid: String, namespace: String) async {
        do { try await store.closed(pid: pid, namespace: namespace) } catch {
            logger.warning("recovery store could not drop a session", metadata: ["error": "\(error)"])
        }
    }

    func takeSession(pid: String, namespace: String) async -> SocketIOPersistedSession? {
        do { return try await store.takeSession(pid: pid, namespace: namespace) } catch {
            logger.warning("recovery store could not give a session back", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// What the session missed after `offset`, or nil if it cannot be told in full.
    func missedEvents(of session: SocketIOPersistedSession, after offset: String?) async -> [SocketIOPacket]? {
        let failedRecently = lastAppendFailure.withLock { last in last.map { ContinuousClock.now - $0 <= configuration.window } ?? false }
        guard !failedRecently else { return nil }
        do { return try await store.missedEvents(of: session, after: offset) } catch {
            logger.warning("recovery store could not list missed events", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
