import Foundation

/// Edits, deletes, reactions and search. The rules (who may do what, the limits) run here, inside the store's
/// transaction over a locked snapshot, so an edit and a delete at once, or a reaction racing a delete, always end
/// in a state the rules allow: a tombstone without reactions.
extension MessageService {
    /// Replaces the text of the caller's own message. Editing to the same text changes nothing (no `editedAt`,
    /// no event). Someone else's message is forbidden; a deleted one is a conflict.
    public func edit(callerID: Int64, conversationID: Int64, seq: Int64, content: String) async throws -> MessageChange {
        let content = try Validator.content(content)
        let seq = try Validator.messageSeq(seq, field: "seq")
        try limits.messagesPerUser.check(String(callerID))
        return try await change(conversationID: conversationID, seq: seq, callerID: callerID) { snapshot in
            let message = snapshot.message
            guard message.senderID == callerID else { throw ChatError.forbidden("only the sender can edit a message") }
            guard !message.isDeleted else { throw ChatError.conflict("the message was deleted") }
            return message.content == content ? .none : .edit(content: content)
        }
    }

    /// Deletes a message, leaving its tombstone. The sender may, and so may an admin of a group; deleting a tombstone
    /// again answers it unchanged.
    public func delete(callerID: Int64, conversationID: Int64, seq: Int64) async throws -> MessageChange {
        let seq = try Validator.messageSeq(seq, field: "seq")
        try limits.messagesPerUser.check(String(callerID))
        return try await change(conversationID: conversationID, seq: seq, callerID: callerID) { snapshot in
            let message = snapshot.message
            let isGroupAdmin = snapshot.conversationKind == .group && snapshot.roles[callerID] == .admin
            guard message.senderID == callerID || isGroupAdmin else {
                throw ChatError.forbidden("only the sender or a group admin can delete a message")
            }
            return message.isDeleted ? .none : .delete
        }
    }

    /// Adds (`add` true) or removes the caller's reaction. Both are idempotent. A tombstone takes no reactions
    /// (a conflict, for removing too: it has none left); a message has at most 20 distinct emoji.
    public func react(callerID: Int64, conversationID: Int64, seq: Int64, emoji: String, add: Bool) async throws -> MessageChange {
        let emoji = try Validator.emoji(emoji)
        let seq = try Validator.messageSeq(seq, field: "seq")
        try limits.messagesPerUser.check(String(callerID))
        return try await change(conversationID: conversationID, seq: seq, callerID: callerID) { snapshot in
            let message = snapshot.message
            guard !message.isDeleted else { throw ChatError.conflict("the message was deleted") }
            // Compared code point for code point, as the database compares them.
            let existing = message.reactions.first { $0.emoji.unicodeScalars.elementsEqual(emoji.unicodeScalars) }
            let mine = existing?.userIDs.contains(callerID) ?? false
            if !add { return mine ? .removeReaction(userID: callerID, emoji: emoji) : .none }
            if mine { return .none }
            guard existing != nil || message.reactions.count < Validator.maxDistinctEmoji else {
                throw ChatError.validation("a message has at most \(Validator.maxDistinctEmoji) different emoji", field: "emoji")
            }
            return .addReaction(userID: callerID, emoji: emoji)
        }
    }

    /// Full-text search over the caller's current conversations (or one of them, which must be theirs), newest
    /// first. The cursor is the id of the last message of the previous page.
    public func search(callerID: Int64, query: String?, conversationID: Int64?, cursor: String?, limit: Int?) async throws -> Page<Message> {
        let limit = try Validator.limit(limit)
        let terms = try Validator.searchTerms(query)
        let before = try cursor.map { cursor -> Int64 in
            guard let id = Int64(cursor), id > 0, String(id) == cursor else { throw ChatError.validation("invalid cursor", field: "cursor") }
            return id
        }
        if let conversationID { _ = try await conversations.requireMembership(conversationID: conversationID, callerID: callerID) }
        let rows = try await store.searchMessages(
            MessageSearch(userID: callerID, conversationID: conversationID, terms: terms, beforeID: before, limit: limit + 1))
        let items = Array(rows.prefix(limit))
        let hasMore = rows.count > limit
        return Page(items: items, hasMore: hasMore, nextCursor: hasMore ? items.last.map { String($0.id) } : nil)
    }

    /// One change through the appender's writer and delivery stage, so its event keeps the conversation's order.
    private func change(
        conversationID: Int64, seq: Int64, callerID: Int64, _ decide: @escaping @Sendable (MessageSnapshot) throws -> MessageChangePlan
    ) async throws -> MessageChange {
        let store = self.store
        return try await appender.change {
            try await store.changeMessage(conversationID: conversationID, seq: seq, callerID: callerID, at: Date(), decide)
        }
    }
}
