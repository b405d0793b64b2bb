import ChatCore
import ChatSQL
import Foundation
import Logging

/// Delivers each conversation's messages to this node's sockets in `seq` order, whichever node stored them.
///
/// It remembers, per conversation, the last `seq` it delivered here. Messages this node committed arrive from its
/// appender (``deliverLocal(_:)``); messages other nodes committed arrive as ranges from the bus
/// (``deliverRemote(_:)``) and are read from the database. Whenever the next message is not the one after the last
/// delivered (a notification lost, reordered or not yet arrived), the missing range is read from the database
/// first: the database is the log, a notification only a wake-up. One delivery runs at a time.
actor MessageSequencer {
    /// Conversations remembered at most; past it the oldest are forgotten and restart from their next notification.
    static let capacity = 100_000
    /// Messages per database read when catching up.
    static let pageSize = 500

    private var cursors: [Int64: Int64] = [:]
    /// The highest `seq` announced per conversation: what there is to deliver once this node's own messages before it
    /// have been delivered (with their origin).
    private var known: [Int64: Int64] = [:]
    /// Messages other nodes sent inline with their notification that cannot be delivered yet (something before them
    /// is still to come), by conversation and `seq`: used instead of reading them back from the database.
    private var parked: [Int64: [Int64: AppendedMessage]] = [:]
    private let nodeID: Int
    private let started = Date()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let store: any ChatStore
    private let cluster: ClusterStore
    private let deliveries: ConversationDelivery
    private let logger: Logger
    /// With connection state recovery on: each batch is logged (write-ahead) before it is emitted.
    private let recovery: ClusterRecoveryStore?

    init(
        nodeID: Int, store: any ChatStore, cluster: ClusterStore, deliveries: ConversationDelivery, recovery: ClusterRecoveryStore? = nil,
        logger: Logger
    ) {
        self.nodeID = nodeID
        self.store = store
        self.cluster = cluster
        self.deliveries = deliveries
        self.recovery = recovery
        self.logger = logger
    }

    /// Emits a conversation event (`eventID` is the same on every node) between two batches of messages, logged like
    /// them, so each node's log and emits keep one order.
    func emitEvent(_ eventID: Int64, _ body: @Sendable () async -> Void) async {
        await lock()
        defer { unlock() }
        guard let recovery else { return await body() }
        let unit = await recovery.logUnit(eventID: eventID)
        await RecoveryUnit.$current.withValue(unit) { await body() }
    }

    /// Emits committed messages to this node's sockets, logged first when recovery is on.
    private func emit(_ messages: [AppendedMessage]) async {
        guard !messages.isEmpty else { return }
        guard let recovery else { return await deliveries.deliver(messages) }
        let unit = await recovery.logUnit(messageIDs: messages.map(\.message.id))
        await RecoveryUnit.$current.withValue(unit) { await deliveries.deliver(messages) }
    }

    /// This node's own committed batch, in commit order. Returns the ranges to announce to the other nodes.
    func deliverLocal(_ batch: [AppendedMessage]) async -> [[Int64]] {
        await lock()
        defer { unlock() }
        var ranges: [Int64: (from: Int64, to: Int64)] = [:]
        var order: [Int64] = []
        var ready: [AppendedMessage] = []
        for appended in batch {
            let message = appended.message
            let conversationID = message.conversationID
            if ranges[conversationID] == nil { order.append(conversationID) }
            ranges[conversationID] = (ranges[conversationID]?.from ?? message.seq, message.seq)
            if cursors[conversationID] == nil {
                await emit(ready)
                ready = []
                await establishCursor(conversationID, before: message.seq)
            }
            if let cursor = cursors[conversationID] {
                if message.seq <= cursor { continue }
                if message.seq > cursor + 1 {
                    // Another node's messages came first and their notification has not arrived yet.
                    await emit(ready)
                    ready = []
                    await catchUp(conversationID, from: cursor + 1, to: message.seq - 1)
                }
            }
            ready.append(appended)
            cursors[conversationID] = message.seq
        }
        await emit(ready)
        // Other nodes' messages announced meanwhile waited for these; deliver them now.
        for conversationID in order {
            if let cursor = cursors[conversationID], let high = known[conversationID], high > cursor {
                await catchUp(conversationID, from: cursor + 1, to: high)
            }
        }
        trim()
        return order.compactMap { id in ranges[id].map { [id, $0.from, $0.to] } }
    }

    /// Another node committed the messages `from...to` of each conversation; `inline` holds those of them that came
    /// with the notification (the others are read from the database).
    func deliverRemote(_ ranges: [[Int64]], inline: [AppendedMessage] = []) async {
        await lock()
        defer { unlock() }
        for appended in inline {
            let message = appended.message
            if let cursor = cursors[message.conversationID], message.seq <= cursor { continue }
            parked[message.conversationID, default: [:]][message.seq] = appended
        }
        for range in ranges where range.count == 3 {
            let (conversationID, from, to) = (range[0], range[1], range[2])
            known[conversationID] = max(known[conversationID] ?? 0, to)
            if cursors[conversationID] == nil { await establishCursor(conversationID, before: from) }
            let start = cursors[conversationID].map { $0 + 1 } ?? from
            guard to >= start else { continue }
            await catchUp(conversationID, from: start, to: to)
        }
        trim()
    }

    /// Reads and delivers whatever every remembered conversation has past its cursor: after the LISTEN connection
    /// was lost (notifications may have been missed) or a node died (it may have committed without announcing).
    func resync() async {
        await lock()
        defer { unlock() }
        let ids = Array(cursors.keys)
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + 1000, ids.count)])
            start += 1000
            do {
                for (id, last) in try await cluster.lastSeqs(chunk) {
                    known[id] = max(known[id] ?? 0, last)
                    if let cursor = cursors[id], last > cursor { await catchUp(id, from: cursor + 1, to: last) }
                }
            } catch {
                logger.error("cluster: resync read failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Reads and delivers what the given conversations (those this node remembers) have past its cursors: before a
    /// client whose node died recovers here, so this node has delivered whatever that node had, even what it
    /// committed and never announced.
    func catchUp(conversations ids: [Int64]) async {
        await lock()
        defer { unlock() }
        let remembered = ids.filter { cursors[$0] != nil }
        guard !remembered.isEmpty else { return }
        do {
            for (id, last) in try await cluster.lastSeqs(remembered) {
                known[id] = max(known[id] ?? 0, last)
                if let cursor = cursors[id], last > cursor { await catchUp(id, from: cursor + 1, to: last) }
            }
        } catch {
            logger.error("cluster: catch-up read failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// A conversation this node has not delivered anything of since it started (or since it forgot it), first seen at
    /// `seq`: the messages before it that were stored after this process started were never delivered here — their
    /// notifications are still on the way (another node's seq 1 can be announced after this node's own seq 2) or were
    /// lost — so the cursor starts before them and they are delivered first. Older ones are history from before this
    /// node was up, for REST.
    private func establishCursor(_ conversationID: Int64, before seq: Int64) async {
        guard seq > 1 else {
            cursors[conversationID] = 0
            return
        }
        do {
            let earlier = try await store.messages(conversationID: conversationID, range: .before(seq), limit: Self.pageSize)
                .sorted { $0.seq < $1.seq }
            let lowest = earlier.first?.seq ?? seq
            // Everything before the page (a burst longer than a page since this node started) counts as history.
            let baseline = earlier.last(where: { $0.createdAt < started })?.seq ?? (lowest - 1)
            cursors[conversationID] = baseline
            if baseline < seq - 1 { await catchUp(conversationID, from: baseline + 1, to: seq - 1) }
        } catch {
            logger.error(
                "cluster: reading a conversation's recent messages failed", metadata: ["conversation.id": "\(conversationID)", "error": "\(String(reflecting: error))"])
            cursors[conversationID] = seq - 1
        }
    }

    /// Whether this process stored the message and its own delivery (with the sender's socket left out) is still to
    /// come through ``deliverLocal(_:)``: its id carries this node's bits and it is younger than the process.
    private func isOwnAndPending(_ message: Message) -> Bool {
        Int((message.id >> 12) & 1023) == nodeID && message.createdAt >= started
    }

    /// Reads `from...to` of the conversation and delivers it with the members as they are now (removed members,
    /// whose removal committed, are no longer among them). Stops before a message of this node's own: that one is
    /// delivered by ``deliverLocal(_:)``, which then continues from it.
    private func catchUp(_ conversationID: Int64, from: Int64, to: Int64) async {
        var next = from
        if var waiting = parked.removeValue(forKey: conversationID) {
            var ready: [AppendedMessage] = []
            while next <= to, let appended = waiting.removeValue(forKey: next) {
                ready.append(appended)
                next += 1
            }
            await emit(ready)
            if !ready.isEmpty { cursors[conversationID] = next - 1 }
            // Kept only what may still come next; a long backlog is read from the database instead.
            waiting = waiting.filter { $0.key >= next }
            if !waiting.isEmpty, waiting.count <= Self.pageSize { parked[conversationID] = waiting }
        }
        while next <= to {
            do {
                guard let members = try await store.memberIDs(conversationID: conversationID) else {
                    cursors[conversationID] = nil
                    return
                }
                let page = try await store.messages(
                    conversationID: conversationID, range: .after(next - 1), limit: Int(min(to - next + 1, Int64(Self.pageSize))))
                var messages = page.filter { $0.seq >= next && $0.seq <= to }
                let own = messages.firstIndex(where: isOwnAndPending)
                if let own { messages = Array(messages[..<own]) }
                if let last = messages.last {
                    await emit(messages.map { AppendedMessage(outcome: .created($0), memberIDs: members, origin: nil) })
                    cursors[conversationID] = last.seq
                    next = last.seq + 1
                }
                if own != nil || messages.isEmpty { return }
            } catch {
                logger.error(
                    "cluster: reading messages to deliver failed",
                    metadata: ["conversation.id": "\(conversationID)", "error": "\(String(reflecting: error))"])
                return
            }
        }
    }

    private func trim() {
        // Rarely reached; forgetting all is simplest and only costs the next notification's range being trusted.
        if cursors.count > Self.capacity {
            cursors.removeAll(keepingCapacity: true)
            known.removeAll(keepingCapacity: true)
            parked.removeAll(keepingCapacity: true)
        }
    }

    private func lock() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func unlock() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
