import Foundation

/// Sending, reading and acknowledging messages. Authorization happens here, not in the transports.
public struct MessageService: Sendable {
    private let store: any ChatStore
    private let conversations: ConversationService
    private let appender: MessageAppender
    private let ids: IDGenerator
    private let limits: RateLimits

    public init(
        store: any ChatStore, conversations: ConversationService, appender: MessageAppender, ids: IDGenerator, limits: RateLimits = .unlimited
    ) {
        self.limits = limits
        self.store = store
        self.conversations = conversations
        self.appender = appender
        self.ids = ids
    }

    /// The outcome of a send plus who should hear about it.
    public struct SendResult: Sendable {
        public var outcome: AppendOutcome
        public var memberIDs: [Int64]
    }

    /// Stores a message from a member. A repeated `clientMessageID` returns the first message unchanged.
    public func send(callerID: Int64, conversationID: Int64, content: String, clientMessageID: String?) async throws -> SendResult {
        let content = try Validator.content(content)
        let clientMessageID = try Validator.clientMessageID(clientMessageID)
        try limits.messagesPerUser.check(String(callerID))
        _ = try await conversations.requireMembership(conversationID: conversationID, callerID: callerID)
        let draft = MessageDraft(
            id: ids.next(), conversationID: conversationID, senderID: callerID, content: content, clientMessageID: clientMessageID,
            createdAt: Date())
        let outcome = try await appender.append(draft)
        // The audience is read after the commit, in one query: a member removed while the message was being stored
        // (after the check above) must not receive a message committed after their removal.
        let members = try await store.memberIDs(conversationID: conversationID) ?? []
        return SendResult(outcome: outcome, memberIDs: members)
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
