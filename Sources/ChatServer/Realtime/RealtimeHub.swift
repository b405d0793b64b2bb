import ChatCore
import SocketIO

/// The chat behaviour behind real time, shared by the Socket.IO handlers and the REST controllers so that a
/// message sent either way is stored, acknowledged and delivered the same way.
///
/// It calls the ChatCore services (no SQL here) and announces the results through the ``RealtimeEmitter``.
final class RealtimeHub: Sendable {
    /// Where a `message:send` goes.
    enum Target: Sendable, Equatable {
        case conversation(Int64)
        /// The direct conversation with this user, created when it does not exist yet.
        case user(Int64)
    }

    let emitter: RealtimeEmitter
    let deliveries: ConversationDelivery
    let presence: PresenceService
    private let conversations: ConversationService
    private let messages: MessageService
    private let limits: RateLimits
    private let blocks: BlockService?

    init(
        conversations: ConversationService, messages: MessageService, presence: PresenceService, deliveries: ConversationDelivery,
        emitter: RealtimeEmitter, limits: RateLimits = .unlimited, blocks: BlockService? = nil
    ) {
        self.limits = limits
        self.blocks = blocks
        self.conversations = conversations
        self.messages = messages
        self.presence = presence
        self.deliveries = deliveries
        self.emitter = emitter
    }

    /// Stores a message and delivers it to every socket of every member except `fromSocket` (nil over REST: the
    /// author's sockets hear it too). Returns once it is durably stored and handed to delivery (the appender does
    /// both, in commit order); an idempotent retry returns the stored message and delivers nothing.
    func send(
        callerID: Int64, to target: Target, content: String, clientMessageID: String?, replyToSeq: Int64? = nil, fromSocket: String?
    ) async throws -> AppendedMessage {
        let conversationID = try await conversationID(callerID: callerID, target: target, content: content, clientMessageID: clientMessageID)
        return try await messages.send(
            callerID: callerID, conversationID: conversationID, content: content, clientMessageID: clientMessageID, replyToSeq: replyToSeq,
            origin: fromSocket)
    }

    /// As ``send(callerID:to:content:clientMessageID:replyToSeq:fromSocket:)``, but returns once the message is queued
    /// for the store (after opening the direct conversation, when the target is a user); `completion` hears the
    /// outcome. A socket's sends submitted one after the other keep their order without waiting for each commit.
    func submit(
        callerID: Int64, to target: Target, content: String, clientMessageID: String?, replyToSeq: Int64? = nil, fromSocket: String?,
        completion: @escaping MessageAppender.Completion
    ) async throws {
        let conversationID = try await conversationID(callerID: callerID, target: target, content: content, clientMessageID: clientMessageID)
        try messages.submit(
            callerID: callerID, conversationID: conversationID, content: content, clientMessageID: clientMessageID, replyToSeq: replyToSeq,
            origin: fromSocket, completion: completion)
    }

    private func conversationID(callerID: Int64, target: Target, content: String, clientMessageID: String?) async throws -> Int64 {
        switch target {
        case .conversation(let id):
            return id
        case .user(let otherID):
            // Checked before the conversation is opened, so a bad message never leaves an empty conversation behind.
            _ = try Validator.content(content)
            _ = try Validator.clientMessageID(clientMessageID)
            return try await openDirect(callerID: callerID, otherUserID: otherID).view.conversation.id
        }
    }

    /// The direct conversation of two users, created on first contact; when this call created it, the other user
    /// hears `conversation:new` (the caller has the answer). REST and `message:send` by user id both open it here.
    func openDirect(callerID: Int64, otherUserID: Int64) async throws -> (view: ConversationView, created: Bool) {
        let (view, created) = try await conversations.openDirect(callerID: callerID, otherUserID: otherUserID)
        if created { await announceNewConversation(view.conversation, createdBy: callerID) }
        return (view, created)
    }

    /// Moves the caller's read marker forward and tells the other members where it now stands.
    func markRead(callerID: Int64, conversationID: Int64, seq: Int64) async throws -> Int64 {
        let result = try await messages.markRead(callerID: callerID, conversationID: conversationID, seq: seq)
        let receipt = APIReadReceipt(conversationId: String(conversationID), userId: String(callerID), lastReadSeq: result.lastReadSeq)
        let emitter = self.emitter
        await deliveries.emitEvent(in: conversationID, to: result.memberIDs.filter { $0 != callerID }) { audience in
            await emitter.emit(RealtimeEvent.messageRead, receipt, toUsers: audience)
        }
        return result.lastReadSeq
    }

    /// Relays a typing indicator to the other members; nothing is stored.
    func typing(callerID: Int64, conversationID: Int64, isTyping: Bool) async throws {
        try limits.typingPerUser.check(String(callerID))
        let members = try await conversations.requireMembership(conversationID: conversationID, callerID: callerID)
        let typing = APITyping(conversationId: String(conversationID), userId: String(callerID), isTyping: isTyping)
        let emitter = self.emitter
        await deliveries.emitEvent(in: conversationID, to: members.filter { $0 != callerID }) { audience in
            await emitter.emit(RealtimeEvent.typing, typing, toUsers: audience)
        }
    }

    /// `conversation:new` (or `conversation:update`) to each of `userIDs`, each with their own view of the
    /// conversation (their unread count); users who are not members are skipped.
    func announce(_ event: String, conversation: Conversation, to userIDs: [Int64]) async {
        guard !userIDs.isEmpty, let payloads = await payloads(for: conversation) else { return }
        await announce(event, payloads: payloads, to: userIDs)
    }

    /// The conversation encoded once for all its members (``ConversationPayloads``), or nil (logged) when it
    /// cannot be: then nobody hears of the change, as when any event cannot be encoded.
    func payloads(for conversation: Conversation) async -> ConversationPayloads? {
        do {
            let pairs = try await blocks?.pairs(among: conversation.members.map(\.user.id)) ?? []
            return try ConversationPayloads(conversation, blockPairs: pairs, isOnline: presence.isOnline)
        } catch {
            emitter.logger.error("cannot encode a conversation event", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }

    /// `event` to each of `userIDs` who is a member, with their own view, as one multi-target emit: every payload
    /// shares the encoded members list, so a 500-member group costs one encoding and 500 small buffers.
    func announce(_ event: String, payloads: ConversationPayloads, to userIDs: [Int64]) async {
        do {
            let isOnline = presence.isOnline
            let each = try userIDs.filter(payloads.isMember).map { (userID: $0, payload: try payloads.json(for: $0, isOnline: isOnline)) }
            await emitter.emit(event, each: each)
        } catch {
            emitter.logger.error("cannot encode a conversation event", metadata: ["event": "\(event)", "error": "\(String(reflecting: error))"])
        }
    }

    /// `conversation:new` to every member but its creator.
    private func announceNewConversation(_ conversation: Conversation, createdBy creatorID: Int64) async {
        await announce(RealtimeEvent.conversationNew, conversation: conversation, to: conversation.members.map(\.user.id).filter { $0 != creatorID })
    }
}
