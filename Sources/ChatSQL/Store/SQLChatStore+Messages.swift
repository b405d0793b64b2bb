import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func appendMessages(_ drafts: [MessageDraft]) async throws -> [AppendOutcome] {
        guard !drafts.isEmpty else { return [] }
        return try await backend.transaction { db in
            var outcomes: [AppendOutcome] = []
            for draft in drafts { outcomes.append(try await Self.append(draft, on: db)) }
            return outcomes
        }
    }

    /// Takes the conversation's row lock first (the `last_seq` bump), so concurrent appends to one conversation
    /// queue behind each other on every engine: the idempotency check and the new `seq` are then race-free,
    /// and a rolled-back append returns its number, keeping the sequence gapless.
    private static func append(_ draft: MessageDraft, on db: any SQLDatabase) async throws -> AppendOutcome {
        let now = draft.createdAt.millis
        try await db.raw(
            "UPDATE conversations SET last_seq = last_seq + 1, updated_at = \(bind: now) WHERE id = \(bind: draft.conversationID)"
        ).run()
        // Checked under that lock, which membership changes also take first: a member removed a moment ago can
        // no longer post, even when their request passed the service's membership check before the removal.
        guard try await db.raw(
            "SELECT user_id FROM conversation_members WHERE conversation_id = \(bind: draft.conversationID) AND user_id = \(bind: draft.senderID)"
        ).first() != nil else {
            throw ChatError.notFound("conversation not found")
        }
        if let clientID = draft.clientMessageID,
            let existing = try await db.raw(
                """
                SELECT \(unsafeRaw: Columns.message) FROM messages msg
                WHERE msg.conversation_id = \(bind: draft.conversationID) AND msg.sender_id = \(bind: draft.senderID)
                  AND msg.client_message_id = \(bind: clientID)
                """
            ).first()
        {
            // A retry: give the number back. updated_at moved, which is harmless (it is "now" either way).
            try await db.raw("UPDATE conversations SET last_seq = last_seq - 1 WHERE id = \(bind: draft.conversationID)").run()
            return .existing(try existing.decodeMessage())
        }
        guard let seq = try await db.raw("SELECT last_seq FROM conversations WHERE id = \(bind: draft.conversationID)")
            .first(decodingColumn: "last_seq", as: Int64.self)
        else {
            throw ChatError.notFound("conversation not found")
        }
        try await db.raw(
            """
            INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, created_at)
            VALUES (\(bind: draft.id), \(bind: draft.conversationID), \(bind: seq), \(bind: draft.senderID), \(bind: draft.content),
                    \(bind: draft.clientMessageID), \(bind: now))
            """
        ).run()
        return .created(
            Message(
                id: draft.id, conversationID: draft.conversationID, seq: seq, senderID: draft.senderID, content: draft.content,
                clientMessageID: draft.clientMessageID, createdAt: Date(millis: now)))
    }

    public func messages(conversationID: Int64, range: MessageRange, limit: Int) async throws -> [Message] {
        let base = "SELECT \(Columns.message) FROM messages msg WHERE msg.conversation_id = "
        let query: SQLQueryString
        switch range {
        case .latest:
            query = "\(unsafeRaw: base)\(bind: conversationID) ORDER BY msg.seq DESC LIMIT \(literal: limit)"
        case .before(let seq):
            query = "\(unsafeRaw: base)\(bind: conversationID) AND msg.seq < \(bind: seq) ORDER BY msg.seq DESC LIMIT \(literal: limit)"
        case .after(let seq):
            query = "\(unsafeRaw: base)\(bind: conversationID) AND msg.seq > \(bind: seq) ORDER BY msg.seq ASC LIMIT \(literal: limit)"
        }
        let rows = try await backend.read { db in try await db.raw(query).all().map { try $0.decodeMessage() } }
        return rows.sorted { $0.seq < $1.seq }
    }

    public func markRead(conversationID: Int64, userID: Int64, seq: Int64) async throws -> Int64 {
        try await backend.transaction { db in
            // Clamped to the newest message: a client cannot have read what does not exist yet.
            try await db.raw(
                """
                UPDATE conversation_members
                SET last_read_seq = (SELECT CASE WHEN c.last_seq < \(bind: seq) THEN c.last_seq ELSE \(bind: seq) END
                                     FROM conversations c WHERE c.id = \(bind: conversationID))
                WHERE conversation_id = \(bind: conversationID) AND user_id = \(bind: userID) AND last_read_seq < \(bind: seq)
                """
            ).run()
            guard let value = try await db.raw(
                "SELECT last_read_seq FROM conversation_members WHERE conversation_id = \(bind: conversationID) AND user_id = \(bind: userID)"
            ).first(decodingColumn: "last_read_seq", as: Int64.self)
            else {
                throw ChatError.notFound("conversation not found")
            }
            return value
        }
    }
}
