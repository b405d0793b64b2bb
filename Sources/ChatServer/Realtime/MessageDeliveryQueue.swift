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

    /// Messages lined up and not yet emitted, over all conversations.
    var pendingCount: Int { lines.values.reduce(0) { $0 + $1.entries.count } }

    private func flush(_ conversationID: Int64) async {
        guard let line = lines[conversationID], !line.flushing else { return }
        lines[conversationID]?.flushing = true
        // Re-read the line after every emit: deliveries that arrived meanwhile extend the run.
        while let head = lines[conversationID]?.entries.first, let route = head.route {
            lines[conversationID]?.entries.removeFirst()
            await emit(head.message, route.memberIDs, route.exceptSocket)
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
