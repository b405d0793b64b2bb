import ChatCore
import ChatSQL
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SocketIO
import Synchronization

/// This process as one node of a cluster on PostgreSQL (docs/scaling.md).
///
/// - It holds a lease on a unique node id (the `cluster_nodes` table), renewed every ``heartbeat``; the id's 10 bits
///   go into every id it makes, so ids never collide across nodes.
/// - It listens on the bus (LISTEN/NOTIFY): messages other nodes committed are read from the database and delivered
///   to this node's sockets in `seq` order (``MessageSequencer``); other real-time events, removals, revoked logins
///   and presence are relayed as they are.
/// - Presence: which node holds whose sockets is in `cluster_presence`; a user's first socket anywhere and last one
///   gone are decided under the user's row lock, so each is announced once. A node whose lease ran out (it died) is
///   reaped by the first live node to see it: its users that are on no other node go offline, announced once.
/// - A node that was only stalled past its lease (not dead) takes its id back at its next heartbeat and announces its
///   users online again; if another process took the id meanwhile, it stops (``LeaseLost``): ids would collide.
final class ClusterNode: Service, Sendable {
    // A dead node's users must go offline within 15 s (issue 13): its lease runs out at most 10 s after its last
    // heartbeat, and a live node's reaper, which runs every heartbeat, sees that within 2 s more.
    static let heartbeat: Duration = .seconds(2)
    static let lease: Duration = .seconds(10)
    /// Oversized payloads are kept this long for every node to read.
    static let payloadLifetime: Duration = .seconds(120)

    struct Wiring: Sendable {
        var store: any ChatStore
        var local: any RealtimeBroadcaster
        var sessions: any SessionRevocationObserver
        var deliveries: ConversationDelivery
        var presence: PresenceService
        /// Connection state recovery across nodes, when it is on.
        var recovery: ClusterRecoveryStore?
    }

    let nodeID: Int
    /// This process among all that ever held a node id: the second key of the advisory lock its LISTEN connection
    /// holds, so other nodes see at once when it is gone (connection state recovery takes its sockets' sessions).
    let instance: Int64
    let store: ClusterStore
    private let backend: PostgresBackend
    private let ids: IDGenerator
    let remote = RemotePresence()
    private let bus: PostgresBus
    private let logger: Logger
    private let wiring = Mutex<(Wiring, sequencer: MessageSequencer)?>(nil)
    /// Users a previous holder of this node id left online; announced offline once presence is wired.
    private let inherited: [Int64]

    /// Prepares the cluster tables and leases a node id.
    static func join(backend: PostgresBackend, logger: Logger) async throws -> ClusterNode {
        let store = ClusterStore(backend: backend)
        try await store.prepare()
        let instance = Int64(Int32.random(in: 1...Int32.max))
        let nodeID = try await store.acquireNodeID(lease: lease, holder: instance)
        let inherited = try await store.clearPresence(of: nodeID)
        // Sessions an earlier holder of this id left live were dropped when it died.
        try await ClusterRecoveryTables(backend: backend).markDropped(nodeID: nodeID, exceptInstance: instance)
        var logger = logger
        logger[metadataKey: "node.id"] = "\(nodeID)"
        logger.info("joined the cluster", metadata: ["node.id": "\(nodeID)"])
        return ClusterNode(nodeID: nodeID, instance: instance, store: store, backend: backend, inherited: inherited, logger: logger)
    }

    private init(nodeID: Int, instance: Int64, store: ClusterStore, backend: PostgresBackend, inherited: [Int64], logger: Logger) {
        self.nodeID = nodeID
        self.instance = instance
        self.store = store
        self.backend = backend
        self.ids = IDGenerator(node: nodeID)
        self.inherited = inherited
        self.logger = logger
        self.bus = PostgresBus(backend: backend, ids: IDGenerator(node: nodeID), logger: logger)
    }

    /// Connects the node to the services and the socket server it relays for.
    func attach(_ wiring: Wiring) {
        let sequencer = MessageSequencer(
            nodeID: nodeID, store: wiring.store, cluster: store, deliveries: wiring.deliveries, recovery: wiring.recovery, logger: logger)
        self.wiring.withLock { $0 = (wiring, sequencer) }
        wiring.recovery?.setCatchUp { conversations in await sequencer.catchUp(conversations: conversations) }
        let nodeID = nodeID
        let store = store
        wiring.presence.setCluster(
            arbiter: { [self] change in
                let crossing =
                    change.online
                    ? try await store.join(nodeID: nodeID, userID: change.userID) : try await store.leave(nodeID: nodeID, userID: change.userID)
                await publish(ClusterMessage(kind: .presence, node: nodeID, user: change.userID, online: change.online))
                return crossing
            },
            onlineElsewhere: { [remote] in remote.isOnline($0) })
    }

    /// The recovery store of this node: sessions in the database, offsets every node can read.
    func makeRecoveryStore(configuration: SocketIORecoveryConfiguration) -> ClusterRecoveryStore {
        ClusterRecoveryStore(
            instance: instance, nodeID: nodeID, tables: ClusterRecoveryTables(backend: backend), cluster: store, configuration: configuration,
            logger: logger)
    }

    /// A new cluster-wide id for a conversation event.
    func newEventID() -> Int64 { ids.next() }

    /// Emits a conversation event here between two batches of messages, logged for recovery (``MessageSequencer``).
    func emitLogged(_ eventID: Int64, _ body: @Sendable () async -> Void) async {
        guard let sequencer = wiring.withLock({ $0?.sequencer }) else { return await body() }
        await sequencer.emitEvent(eventID, body)
    }

    /// Tells the other nodes about a removal (or an addition) made here, so it is final on every node.
    func relayMembership(conversationID: Int64, revoked: [Int64], restored: [Int64]) async {
        if !revoked.isEmpty { await publish(ClusterMessage(kind: .revoke, node: nodeID, users: revoked, conversation: conversationID)) }
        if !restored.isEmpty { await publish(ClusterMessage(kind: .restore, node: nodeID, users: restored, conversation: conversationID)) }
    }

    /// Delivers this node's committed batch here, then tells the other nodes which ranges to read.
    func deliverLocal(_ batch: [AppendedMessage]) async {
        guard let sequencer = wiring.withLock({ $0?.sequencer }) else { return }
        let ranges = await sequencer.deliverLocal(batch)
        guard !ranges.isEmpty else { return }
        await publish(ClusterMessage(kind: .messages, node: nodeID, ranges: ranges, messages: Self.inline(batch)))
    }

    /// The batch's new messages that fit in one notification with room to spare, whole conversations at a time (the
    /// receiver delivers them without a database read); nil when none do.
    static func inline(_ batch: [AppendedMessage]) -> [RelayedMessage]? {
        var budget = PostgresBus.inlineLimit - 400
        var included: [RelayedMessage] = []
        var skipped: Set<Int64> = []
        for appended in batch {
            let conversationID = appended.message.conversationID
            guard !skipped.contains(conversationID) else { continue }
            guard let relayed = RelayedMessage(appended) else {
                skipped.insert(conversationID)
                continue
            }
            // JSON inside a JSON string: quotes and backslashes are escaped, so the estimate is generous.
            let cost = relayed.json.utf8.count * 5 / 4 + (relayed.content?.utf8.count ?? 0) * 5 / 4 + relayed.memberIDs.count * 21 + 160
            guard cost <= budget else {
                skipped.insert(conversationID)
                continue
            }
            budget -= cost
            included.append(relayed)
        }
        // A conversation skipped part-way keeps none inline: its receivers read the whole range.
        included.removeAll { skipped.contains($0.conversationID) }
        return included.isEmpty ? nil : included
    }

    func publish(_ message: ClusterMessage) async {
        do {
            let data = try JSONEncoder().encode(message)
            try await bus.publish(String(decoding: data, as: UTF8.self))
        } catch {
            logger.error("cluster bus: publish failed", metadata: ["kind": "\(message.kind.rawValue)", "error": "\(String(reflecting: error))"])
        }
    }

    // MARK: Service

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                group.addTask { try await self.beat() }
                // The first to end is the heartbeat giving up its id (or both, at cancellation): nothing may go on.
                try await group.next()
                group.cancelAll()
            }
        }
        // Clean exit: the id is free again; the users' offline changes are announced by presence as it settles.
        do {
            _ = try await store.release(nodeID: nodeID)
            await publish(ClusterMessage(kind: .left, node: nodeID))
        } catch {
            logger.warning("cluster: releasing the node id failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    private func listen() async {
        await bus.listen(
            lock: (ClusterRecoveryTables.lockClass, Int32(instance)),
            listening: { [self] in
                // (Re)listening: whatever was announced meanwhile is read from the database.
                do {
                    remote.replace(with: try await store.onlineElsewhere(than: nodeID))
                } catch {
                    logger.error("cluster: reading presence failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                await wiring.withLock({ $0?.sequencer })?.resync()
            },
            receive: { [self] text in await receive(text) })
    }

    private func beat() async throws {
        if !inherited.isEmpty, let presence = wiring.withLock({ $0?.0.presence }) {
            for userID in inherited { await presence.announce(PresenceChange(userID: userID, online: false, lastSeenAt: Date())) }
        }
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.heartbeat)
            if Task.isCancelled { return }
            do {
                try await keepLease()
                try await reapDeadNodes()
                try await store.prunePayloads(olderThan: Self.payloadLifetime)
                try await wiring.withLock({ $0?.0.recovery })?.expire()
            } catch let error as LeaseLost {
                throw error
            } catch {
                logger.error("cluster heartbeat failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Renews the lease; if it ran out meanwhile (this process stalled, or was cut off from the database, for a whole
    /// lease) and a live node reaped it, takes the id back and tells the cluster this node's users are here.
    private func keepLease() async throws {
        if try await store.renew(nodeID: nodeID, holder: instance, lease: Self.lease) { return }
        guard try await store.take(nodeID: nodeID, holder: instance, lease: Self.lease) else {
            logger.critical("cluster: another node took this node's id after its lease ran out; stopping, or ids would collide")
            throw LeaseLost(nodeID: nodeID)
        }
        logger.warning("cluster: this node's lease had run out and was reaped (stalled or cut off from the database); id taken back")
        // The reaper deleted this node's presence rows and announced its users offline: they are connected here.
        wiring.withLock({ $0?.0.presence })?.reassertConnected()
    }
    private func reapDeadNodes() async throws {
        let dead = try await store.expiredNodes().filter { $0 != nodeID }
        guard !dead.isEmpty, let (wiring, sequencer) = wiring.withLock({ $0 }) else { return }
        for node in dead {
            // Nil: it renewed its lease in time, it is alive.
            guard let offline = try await store.reap(nodeID: node) else { continue }
            remote.remove(node: node)
            // Its sockets' sessions dropped with it: recoverable for one window from now.
            try await ClusterRecoveryTables(backend: backend).markDropped(nodeID: node)
            if !offline.isEmpty {
                logger.notice("cluster: node died; its users went offline", metadata: ["dead.node": "\(node)", "users": "\(offline.count)"])
            }
            let now = Date()
            for userID in offline where !wiring.presence.isOnline(userID) {
                await wiring.presence.announce(PresenceChange(userID: userID, online: false, lastSeenAt: now))
            }
        }
        // It may have committed messages it never announced.
        await sequencer.resync()
    }

    /// The heartbeat found this node's id held by another process: the node must stop.
    struct LeaseLost: Error, CustomStringConvertible {
        let nodeID: Int
        var description: String { "cluster node id \(nodeID) was taken by another process after this node's lease ran out" }
    }

    private func receive(_ text: String) async {
        guard let message = try? JSONDecoder().decode(ClusterMessage.self, from: Data(text.utf8)) else {
            logger.error("cluster bus: unreadable notification")
            return
        }
        guard message.node != nodeID, let (wiring, sequencer) = wiring.withLock({ $0 }) else { return }
        switch message.kind {
        case .messages:
            await sequencer.deliverRemote(message.ranges ?? [], inline: (message.messages ?? []).map(\.appended))
        case .event:
            guard let event = message.event, let users = message.users, let payload = message.payload else { return }
            let local = wiring.local
            let emit: @Sendable () async -> Void = {
                await local.emit(event, .encoded(EncodedJSON(trusting: ByteBuffer(string: payload))), toUsers: users, exceptSocket: message.exceptSocket)
            }
            if let eventID = message.eventID { await sequencer.emitEvent(eventID, emit) } else { await emit() }
        case .eachEvent:
            guard let event = message.event, let payloads = message.shared?.payloads else { return }
            let local = wiring.local
            let each = payloads.map { (userID: $0.userID, payload: JSONValue.encoded($0.payload)) }
            let emit: @Sendable () async -> Void = { await local.emit(event, each: each) }
            if let eventID = message.eventID { await sequencer.emitEvent(eventID, emit) } else { await emit() }
        case .revoke:
            guard let conversation = message.conversation, let users = message.users else { return }
            await wiring.deliveries.revoke(users, from: conversation, relay: false)
        case .restore:
            guard let conversation = message.conversation, let users = message.users else { return }
            await wiring.deliveries.restore(users, to: conversation, relay: false)
        case .sessions:
            wiring.sessions.sessionsRevoked(message.sessions ?? [])
        case .presence:
            guard let user = message.user, let online = message.online else { return }
            remote.set(user, online: online, on: message.node)
        case .left:
            remote.remove(node: message.node)
        }
    }
}
