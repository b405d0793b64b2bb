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
    /// Users removed from a conversation, by conversation, with when: filtered out of its later emits. See ``revoke(_:from:)``.
    private var revoked: [Int64: [Int64: ContinuousClock.Instant]] = [:]
    /// Callers of ``revoke(_:from:)`` waiting for an emit already under way in that conversation to finish.
    private var idleWaiters: [Int64: [CheckedContinuation<Void, Never>]] = [:]
    private let emit: Emit
    private let members: Members
    private let stallTimeout: Duration
    private let logger: Logger

    init(stallTimeout: Duration = .seconds(5), logger: Logger, members: @escaping Members, emit: @escaping Emit) {
        self.emit = emit
        self.members = members
        self.stallTimeout = stallTimeout
        self.logger = logger
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

    /// Stops the conversation's later emits from reaching `userIDs` (removed members), and returns only once an
    /// emit already under way in it has finished. So once the removal is announced, nothing more from the
    /// conversation reaches them, even a message stored just before the removal and still waiting its turn.
    ///
    /// A message committed after the removal reads its audience after its commit, so it never names them; the
    /// revocation only has to outlive messages committed before it. Those are handed over at once, or delivered
    /// to a fresh member list by the stall watchdog, so a revocation is dropped after ``revocationLifetime``.
    func revoke(_ userIDs: [Int64], from conversationID: Int64) async {
        guard !userIDs.isEmpty else { return }
        let now = ContinuousClock.now
        pruneRevocations(now: now)
        for userID in userIDs { revoked[conversationID, default: [:]][userID] = now }
        guard lines[conversationID]?.flushing == true else { return }
        await withCheckedContinuation { idleWaiters[conversationID, default: []].append($0) }
    }

    /// Lets users added (back) to a conversation hear it again.
    func restore(_ userIDs: [Int64], to conversationID: Int64) {
        for userID in userIDs { revoked[conversationID]?[userID] = nil }
        if revoked[conversationID]?.isEmpty == true { revoked[conversationID] = nil }
    }

    private var revocationLifetime: Duration { stallTimeout * 4 }

    private func pruneRevocations(now: ContinuousClock.Instant) {
        let lifetime = revocationLifetime
        for (conversationID, users) in revoked {
            let live = users.filter { now - $0.value < lifetime }
            revoked[conversationID] = live.isEmpty ? nil : live
        }
    }

    private func audience(_ route: Route, in conversationID: Int64) -> [Int64] {
        guard let removed = revoked[conversationID] else { return route.memberIDs }
        return route.memberIDs.filter { removed[$0] == nil }
    }

    /// Whether an emit of the conversation is under way.
    func isFlushing(_ conversationID: Int64) -> Bool { lines[conversationID]?.flushing == true }

    /// Messages lined up and not yet emitted, over all conversations.
    var pendingCount: Int { lines.values.reduce(0) { $0 + $1.entries.count } }

    private func flush(_ conversationID: Int64) async {
        guard let line = lines[conversationID], !line.flushing else { return }
        lines[conversationID]?.flushing = true
        // Re-read the line after every emit: deliveries that arrived meanwhile extend the run.
        while let head = lines[conversationID]?.entries.first, let route = head.route {
            lines[conversationID]?.entries.removeFirst()
            await emit(head.message, audience(route, in: conversationID), route.exceptSocket)
            // The emit a revoker waited on is done; the ones after it already see the revocation.
            resumeIdleWaiters(conversationID)
        }
        lines[conversationID]?.flushing = false
        resumeIdleWaiters(conversationID)
        if lines[conversationID]?.entries.isEmpty == true {
            lines[conversationID] = nil
        } else {
            armWatchdog(conversationID)
        }
    }

    private func resumeIdleWaiters(_ conversationID: Int64) {
        for waiter in idleWaiters.removeValue(forKey: conversationID) ?? [] { waiter.resume() }
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
