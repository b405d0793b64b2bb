import ChatCore
import Foundation
import SQLKit

/// Edits, deletes and reactions: each one transaction over a locked conversation, decided by the service's rules.
extension SQLChatStore {
    public func changeMessage(
        conversationID: Int64, seq: Int64, callerID: Int64, at date: Date,
        _ decide: @escaping @Sendable (MessageSnapshot) throws -> MessageChangePlan
    ) async throws -> MessageChange {
        try await backend.transaction { db in
            // The conversation's row lock, as appends and membership changes take it: an edit and a delete of the
            // same message (or a reaction and a delete) run one after the other, each seeing the other's result.
            try await db.raw("UPDATE conversations SET last_seq = last_seq WHERE id = \(bind: conversationID)").run()
            guard let conversation = try await db.raw("SELECT kind FROM conversations WHERE id = \(bind: conversationID)").first() else {
                throw ChatError.notFound("conversation not found")
            }
            var roles: [Int64: MemberRole] = [:]
            var memberIDs: [Int64] = []
            for row in try await db.raw(
                "SELECT user_id, role FROM conversation_members WHERE conversation_id = \(bind: conversationID) ORDER BY user_id"
            ).all() {
                let userID = try row.decode(column: "user_id", as: Int64.self)
                roles[userID] = MemberRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .member
                memberIDs.append(userID)
            }
            // Not a member reads exactly as no such conversation, so a probe learns nothing.
            guard roles[callerID] != nil else { throw ChatError.notFound("conversation not found") }
            guard let row = try await db.raw(
                "SELECT \(unsafeRaw: Columns.message) FROM messages msg WHERE msg.conversation_id = \(bind: conversationID) AND msg.seq = \(bind: seq)"
            ).first() else {
                throw ChatError.notFound("message not found")
            }
            var message = try await Self.withReactions([try row.decodeMessage()], on: db)[0]
            let snapshot = MessageSnapshot(
                message: message, conversationKind: ConversationKind(rawValue: try conversation.decode(column: "kind", as: String.self)) ?? .direct,
                roles: roles)
            let plan = try decide(snapshot)
            let now = date.millis
            let kind: MessageChange.Kind
            switch plan {
            case .none:
                return MessageChange(kind: .updated, message: message, memberIDs: memberIDs, changed: false)
            case .edit(let content):
                try await db.raw("UPDATE messages SET content = \(bind: content), edited_at = \(bind: now) WHERE id = \(bind: message.id)").run()
                message.content = content
                message.editedAt = Date(millis: now)
                kind = .updated
            case .delete:
                // The text goes (and with it the search entry); the row and its seq stay as the tombstone.
                try await db.raw("DELETE FROM message_reactions WHERE message_id = \(bind: message.id)").run()
                try await db.raw("UPDATE messages SET content = '', deleted_at = \(bind: now) WHERE id = \(bind: message.id)").run()
                message.content = nil
                message.deletedAt = Date(millis: now)
                message.reactions = []
                kind = .deleted
            case .addReaction(let userID, let emoji):
                // An emoji already on the message keeps its place; a new one goes last.
                let positions = try await db.raw(
                    """
                    SELECT COALESCE(MAX(position), 0) + 1 AS next_position, COALESCE(MAX(emoji_position), 0) + 1 AS next_emoji_position,
                           MIN(CASE WHEN emoji = \(bind: emoji) THEN emoji_position END) AS emoji_position
                    FROM message_reactions WHERE message_id = \(bind: message.id)
                    """
                ).first()
                let next = try positions?.decode(column: "next_position", as: Int64.self) ?? 1
                let emojiPosition =
                    try positions?.decode(column: "emoji_position", as: Int64?.self)
                    ?? positions?.decode(column: "next_emoji_position", as: Int64.self) ?? 1
                try await db.raw(
                    """
                    INSERT INTO message_reactions (message_id, emoji, user_id, emoji_position, position, created_at)
                    VALUES (\(bind: message.id), \(bind: emoji), \(bind: userID), \(bind: emojiPosition), \(bind: next), \(bind: now))
                    """
                ).run()
                message = try await Self.withReactions([message], on: db)[0]
                kind = .reactions
            case .removeReaction(let userID, let emoji):
                try await db.raw(
                    "DELETE FROM message_reactions WHERE message_id = \(bind: message.id) AND emoji = \(bind: emoji) AND user_id = \(bind: userID)"
                ).run()
                message = try await Self.withReactions([message], on: db)[0]
                kind = .reactions
            }
            return MessageChange(kind: kind, message: message, memberIDs: memberIDs, changed: true)
        }
    }

    public func searchMessages(_ search: MessageSearch) async throws -> [Message] {
        guard !search.terms.isEmpty else { return [] }
        let query: SQLQueryString
        switch backend.flavor {
        case .sqlite:
            // FTS5 walks its matches newest id first and stops at the limit; `"term"` is one whole word (quoted,
            // so no word can be read as an operator), `"term"*` a prefix (served by the table's 2- and 3-character
            // prefix indexes when that short).
            var match = search.terms.dropLast().map { "\"\($0)\"" }
            match.append("\"\(search.terms[search.terms.count - 1])\"" + (search.prefixesLastTerm ? "*" : ""))
            var sql: SQLQueryString = """
                SELECT \(unsafeRaw: Columns.message) FROM messages_fts JOIN messages msg ON msg.id = messages_fts.rowid
                WHERE messages_fts MATCH \(bind: match.joined(separator: " ")) AND msg.deleted_at IS NULL
                AND msg.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = \(bind: search.userID))
                """
            if let conversationID = search.conversationID { sql += " AND msg.conversation_id = \(bind: conversationID)" }
            if let before = search.beforeID { sql += " AND messages_fts.rowid < \(bind: before)" }
            sql += " ORDER BY messages_fts.rowid DESC LIMIT \(literal: search.limit)"
            query = sql
        case .mysql:
            // Boolean mode: every word required (`+`), the last one also as a prefix (`*`). Terms are letters,
            // marks and digits only (Validator.searchTerms), so none can carry an operator.
            var against = search.terms.dropLast().map { "+\($0)" }
            against.append("+\(search.terms[search.terms.count - 1])" + (search.prefixesLastTerm ? "*" : ""))
            var sql: SQLQueryString = """
                SELECT \(unsafeRaw: Columns.message) FROM messages msg
                WHERE MATCH (msg.content) AGAINST (\(bind: against.joined(separator: " ")) IN BOOLEAN MODE) AND msg.deleted_at IS NULL
                AND msg.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = \(bind: search.userID))
                """
            if let conversationID = search.conversationID { sql += " AND msg.conversation_id = \(bind: conversationID)" }
            if let before = search.beforeID { sql += " AND msg.id < \(bind: before)" }
            sql += " ORDER BY msg.id DESC LIMIT \(literal: search.limit)"
            query = sql
        case .postgres:
            // Every word required (`&&`), the last one also as a prefix; each word becomes lexemes through
            // chatone_search_term, never query syntax (PostgresSearchSchema). The expression matches the GIN index.
            var sql: SQLQueryString = "SELECT \(unsafeRaw: Columns.message) FROM messages msg WHERE to_tsvector('simple', chatone_search_text(msg.content)) @@ ("
            for (index, term) in search.terms.enumerated() {
                let prefix = index == search.terms.count - 1 && search.prefixesLastTerm
                sql += "\(unsafeRaw: index == 0 ? "" : " && ")chatone_search_term(\(bind: term), \(unsafeRaw: prefix ? "true" : "false"))"
            }
            sql += """
                ) AND msg.deleted_at IS NULL
                AND msg.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = \(bind: search.userID))
                """
            if let conversationID = search.conversationID { sql += " AND msg.conversation_id = \(bind: conversationID)" }
            if let before = search.beforeID { sql += " AND msg.id < \(bind: before)" }
            sql += " ORDER BY msg.id DESC LIMIT \(literal: search.limit)"
            query = sql
        }
        return try await backend.read { db in
            try await Self.withReactions(try await db.raw(query).all().map { try $0.decodeMessage() }, on: db)
        }
    }
}
