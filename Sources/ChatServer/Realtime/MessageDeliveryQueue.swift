import ChatCore
import Logging

/// Emits each conversation's new messages in `seq` order, however the senders race.
///
/// Concurrent sends into one conversation are committed in one order (the ``MessageAppender``'s, which gives
/// `seq`), but the tasks that then deliver them resume in any order. So the appender reports every commit here
/// first (``committed(_:)``, in commit order, before any sender resumes), which lines the messages up; each
/// sender then hands over its message with its route (``deliver(_:to:except:)``), and a conversation's line is
/// emitted from its head only, as far as routes are known. One flusher per conversation at a time keeps the
/// emits themselves in order; different conversations flush independently.
///
/// Idempotent retries are never committed, so they are never lined up, and their `deliver` is a no-op: nothing
/// is delivered twice. Should a committed message never be handed over (a caller that stores without
/// delivering), the line would stall; after `stallTimeout` it is delivered to every member instead.
actor MessageDeliveryQueue {
    /// Sends one message to the sockets of `memberIDs`, except the socket `exceptSocket` (the sending one).
    typealias Emit = @Sendable (_ message: Message, _ memberIDs: [Int64], _ exceptSocket: String?) async -> Void
    /// The member ids of a conversation, for messages whose sender never handed them over.
    typealias Members = @Sendable (_ conversationID: Int64) async throws -> [Int64]

    private struct Route {
        var memberIDs: [Int64]
        var exceptSocket: String?
    }

    private struct Entry {
        var message: Message
        var route: Route?
    }

    private struct Line {
        var entries: [Entry] = []
        var flushing = false
        /// The id of the head message a stall watchdog is waiting on, if one is armed.
        var watchedHead: Int64?
    }

    private var lines: [Int64: Line] = [:]
    /// Users removed from a conversation: filtered out of its later emits. See ``revoke(_:from:)``.
    private var revocations: ConversationRevocations
    private var inFlight = EmitsInFlight()
    private let emit: Emit
    private let members: Members
    private let stallTimeout: Duration
    private let logger: Logger

    init(stallTimeout: Duration = .seconds(5), logger: Logger, members: @escaping Members, emit: @escaping Emit) {
        self.emit = emit
        self.members = members
        self.stallTimeout = stallTimeout
        self.logger = logger
        // Emits begun before a removal finish long before this (a stalled head is re-routed to a fresh member
        // list by the watchdog), so a revocation need not be remembered for longer.
        self.revocations = ConversationRevocations(lifetime: stallTimeout * 4)
    }

    /// Lines up newly committed messages, in commit order.
    func committed(_ messages: [Message]) {
        for message in messages {
            lines[message.conversationID, default: Line()].entries.append(Entry(message: message, route: nil))
        }
    }

    /// Hands over a committed message with its audience; emitted as soon as everything before it has been.
    /// A message that was not committed here (an idempotent retry) or was already delivered is ignored.
    func deliver(_ message: Message, to memberIDs: [Int64], except exceptSocket: String?) async {
        let conversationID = message.conversationID
        guard let index = lines[conversationID]?.entries.firstIndex(where: { $0.message.id == message.id }),
            lines[conversationID]?.entries[index].route == nil
        else { return }
        lines[conversationID]?.entries[index].route = Route(memberIDs: memberIDs, exceptSocket: exceptSocket)
        await flush(conversationID)
    }

    /// Stops the conversation's later emits (messages, and events sent through ``emitEvent(in:to:_:)``) from
    /// reaching `userIDs` (removed members), and returns only once the emits already under way in it have
    /// finished. So once the removal is announced, nothing more from the conversation reaches them, not even a
    /// message stored just before the removal and still waiting its turn.
    func revoke(_ userIDs: [Int64], from conversationID: Int64) async {
        guard !userIDs.isEmpty else { return }
        revocations.revoke(userIDs, from: conversationID)
        let pending = inFlight.running(in: conversationID)
        guard !pending.isEmpty else { return }
        await withCheckedContinuation { inFlight.wait(for: pending, in: conversationID, $0) }
    }

    /// Lets users added (back) to a conversation hear it again.
    func restore(_ userIDs: [Int64], to conversationID: Int64) {
        revocations.restore(userIDs, to: conversationID)
    }

    /// Sends an event about the conversation that is not a message (a read receipt, typing) to those of
    /// `userIDs` not revoked from it, ordered against revocations as messages are: it reaches a removed member
    /// before their removal is announced, or not at all.
    func emitEvent(in conversationID: Int64, to userIDs: [Int64], _ send: @Sendable (_ userIDs: [Int64]) async -> Void) async {
        let audience = revocations.filter(userIDs, in: conversationID)
        guard !audience.isEmpty else { return }
        let id = inFlight.begin(in: conversationID)
        await send(audience)
        inFlight.end(id, in: conversationID)
    }

    /// Whether an emit of the conversation is under way.
    func isEmitting(_ conversationID: Int64) -> Bool { !inFlight.running(in: conversationID).isEmpty }

    /// Messages lined up and not yet emitted, over all conversations.
    var pendingCount: Int { lines.values.reduce(0) { $0 + $1.entries.count } }

    private func flush(_ conversationID: Int64) async {
        guard let line = lines[conversationID], !line.flushing else { return }
        lines[conversationID]?.flushing = true
        // Re-read the line after every emit: deliveries that arrived meanwhile extend the run.
        while let head = lines[conversationID]?.entries.first, let route = head.route {
            lines[conversationID]?.entries.removeFirst()
            let id = inFlight.begin(in: conversationID)
            await emit(head.message, revocations.filter(route.memberIDs, in: conversationID), route.exceptSocket)
            inFlight.end(id, in: conversationID)
        }
        lines[conversationID]?.flushing = false
        if lines[conversationID]?.entries.isEmpty == true {
            lines[conversationID] = nil
        } else {
            armWatchdog(conversationID)
        }
    }

    private func armWatchdog(_ conversationID: Int64) {
        guard let head = lines[conversationID]?.entries.first, lines[conversationID]?.watchedHead != head.message.id else { return }
        lines[conversationID]?.watchedHead = head.message.id
        let timeout = stallTimeout
        Task {
            try? await Task.sleep(for: timeout)
            await self.unstall(conversationID, headID: head.message.id)
        }
    }

    private func unstall(_ conversationID: Int64, headID: Int64) async {
        if lines[conversationID]?.watchedHead == headID { lines[conversationID]?.watchedHead = nil }
        guard let head = lines[conversationID]?.entries.first, head.message.id == headID, head.route == nil else {
            // Moved on meanwhile; a newer stalled head has its own watchdog.
            if lines[conversationID]?.entries.isEmpty == false, lines[conversationID]?.flushing == false { armWatchdog(conversationID) }
            return
        }
        logger.warning(
            "message was stored but never handed over for delivery; delivering it to every member",
            metadata: ["conversation.id": "\(conversationID)", "message.seq": "\(head.message.seq)"])
        let memberIDs: [Int64]
        do {
            memberIDs = try await members(conversationID)
        } catch {
            logger.error("cannot load members for a stalled delivery", metadata: ["error": "\(String(reflecting: error))"])
            memberIDs = []
        }
        guard let index = lines[conversationID]?.entries.firstIndex(where: { $0.message.id == headID }),
            lines[conversationID]?.entries[index].route == nil
        else { return }
        lines[conversationID]?.entries[index].route = Route(memberIDs: memberIDs, exceptSocket: nil)
        await flush(conversationID)
    }
}
