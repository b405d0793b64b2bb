import Foundation

/// Sending, reading and acknowledging messages. Authorization happens here, not in the transports.
public struct MessageService: Sendable {
    let store: any ChatStore
    let conversations: ConversationService
    let appender: MessageAppender
    private let ids: IDGenerator
    let limits: RateLimits

    public init(
        store: any ChatStore, conversations: ConversationService, appender: MessageAppender, ids: IDGenerator, limits: RateLimits = .unlimited
    ) {
        self.limits = limits
        self.store = store
        self.conversations = conversations
        self.appender = appender
        self.ids = ids
    }

    /// Stores a message from a member and hands it to delivery; returns once it is durably stored. A repeated
    /// `clientMessageID` returns the first message unchanged and delivers nothing. Membership is checked by the
    /// store under the conversation's lock, in the append's own transaction: a caller who is not a member (or was
    /// removed a moment ago) gets not-found, exactly as for a conversation that does not exist.
    ///
    /// - Parameter origin: the connection sending it, left out of delivery (nil over REST).
    /// - Parameter replyToSeq: the message this one replies to; it must be a `seq` of the same conversation.
    public func send(
        callerID: Int64, conversationID: Int64, content: String, clientMessageID: String?, replyToSeq: Int64? = nil, origin: String? = nil
    ) async throws -> AppendedMessage {
        let draft = try draft(
            callerID: callerID, conversationID: conversationID, content: content, clientMessageID: clientMessageID, replyToSeq: replyToSeq,
            origin: origin)
        return try await appender.append(draft)
    }

    /// As ``send(callerID:conversationID:content:clientMessageID:replyToSeq:origin:)``, but returns as soon as the
    /// message is queued for the store: `completion` hears the outcome once it is durably stored and handed to
    /// delivery. A caller that submits one message after another gets them stored in that order without waiting
    /// for each commit. Validation and rate limits throw here, before anything is queued.
    public func submit(
        callerID: Int64, conversationID: Int64, content: String, clientMessageID: String?, replyToSeq: Int64? = nil, origin: String? = nil,
        completion: @escaping MessageAppender.Completion
    ) throws {
        let draft = try draft(
            callerID: callerID, conversationID: conversationID, content: content, clientMessageID: clientMessageID, replyToSeq: replyToSeq,
            origin: origin)
        appender.submit(draft, completion: completion)
    }

    private func draft(
        callerID: Int64, conversationID: Int64, content: String, clientMessageID: String?, replyToSeq: Int64?, origin: String?
    ) throws -> MessageDraft {
        let content = try Validator.content(content)
        let clientMessageID = try Validator.clientMessageID(clientMessageID)
        let replyToSeq = try replyToSeq.map { try Validator.messageSeq($0, field: "replyToSeq") }
        try limits.messagesPerUser.check(String(callerID))
        return MessageDraft(
            id: ids.next(), conversationID: conversationID, senderID: callerID, content: content, clientMessageID: clientMessageID,
            replyToSeq: replyToSeq, createdAt: Date(), origin: origin)
    }

    /// A page of history in ascending `seq`. `hasMore` tells whether more exist in the direction asked; the
    /// next cursor is the `seq` to pass as `before` (or `after`) for the following page.
    public func history(callerID: Int64, conversationID: Int64, before: Int64?, after: Int64?, limit: Int?) async throws -> Page<Message> {
        let limit = try Validator.limit(limit)
        let range: MessageRange
        switch (before, after) {
        case (nil, nil): range = .latest
        case (let before?, nil):
            // `before=0` could only ever be empty: refused as the client's mistake it is.
            guard before >= 1 else { throw ChatError.validation("before must be a positive seq", field: "before") }
            range = .before(try Validator.seq(before, field: "before"))
        case (nil, let after?):
            range = .after(try Validator.seq(after, field: "after"))
        case (_?, _?): throw ChatError.validation("use either before or after, not both", field: "before")
        }
        _ = try await conversations.requireMembership(conversationID: conversationID, callerID: callerID)
        let rows = try await store.messages(conversationID: conversationID, range: range, limit: limit + 1)
        let hasMore = rows.count > limit
        let items: [Message]
        let next: Int64?
        switch range {
        case .after:
            items = Array(rows.prefix(limit))
            next = hasMore ? items.last?.seq : nil
        case .latest, .before:
            items = Array(rows.suffix(limit))
            next = hasMore ? items.first?.seq : nil
        }
        return Page(items: items, hasMore: hasMore, nextCursor: next.map(String.init))
    }

    /// Moves the caller's read marker forward. A `seq` past the newest message is clamped to it.
    public func markRead(callerID: Int64, conversationID: Int64, seq: Int64) async throws -> (lastReadSeq: Int64, memberIDs: [Int64]) {
        let seq = try Validator.seq(seq, field: "seq")
        try limits.readsPerUser.check(String(callerID))
        let members = try await conversations.requireMembership(conversationID: conversationID, callerID: callerID)
        let value = try await store.markRead(conversationID: conversationID, userID: callerID, seq: seq)
        return (value, members)
    }
}
