import ChatCore
import Foundation
import SQLKit

/// One append batch inside one transaction, in a fixed number of statements whatever its size: lock and read
/// the conversations, read their members, look up retried client ids, insert every new message in one
/// statement, move each `last_seq` in one statement. Every statement is a round trip to the database's thread,
/// so the cost of a batch no longer grows with the number of messages in it.
struct BatchAppend {
    let drafts: [MessageDraft]
    /// Picks the spelling of the two multi-key lookups (client ids, blocks); see ``keyLookup(_:_:_:)``.
    let flavor: SQLFlavor

    private struct RetryKey: Hashable {
        var conversationID: Int64
        var senderID: Int64
        var clientMessageID: String
    }

    func run(on db: any SQLDatabase) async throws -> [Result<AppendedMessage, ChatError>] {
        var conversationIDs: [Int64] = []
        for draft in drafts where !conversationIDs.contains(draft.conversationID) { conversationIDs.append(draft.conversationID) }
        let now = drafts.map(\.createdAt.millis).max() ?? Date().millis

        // The lock first (on MariaDB the row locks, in SQLite the write lock is already held): membership changes
        // take it too, so everything read below stays true until the commit.
        try await db.raw("UPDATE conversations SET updated_at = \(bind: now) WHERE id IN (\(binds: conversationIDs))").run()
        var lastSeq: [Int64: Int64] = [:]
        var direct: Set<Int64> = []
        for row in try await db.raw("SELECT id, last_seq, kind FROM conversations WHERE id IN (\(binds: conversationIDs))").all() {
            let id = try row.decode(column: "id", as: Int64.self)
            lastSeq[id] = try row.decode(column: "last_seq", as: Int64.self)
            if try row.decode(column: "kind", as: String.self) == ConversationKind.direct.rawValue { direct.insert(id) }
        }
        var members: [Int64: [Int64]] = [:]
        for row in try await db.raw(
            "SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id IN (\(binds: conversationIDs)) ORDER BY conversation_id, user_id"
        ).all() {
            members[try row.decode(column: "conversation_id", as: Int64.self), default: []].append(try row.decode(column: "user_id", as: Int64.self))
        }
        var stored = try await existingRetries(on: db)
        let blocked = try await blockedSenders(direct: direct, members: members, on: db)

        var results: [Result<AppendedMessage, ChatError>] = []
        var inserts: [MessageDraft] = []
        var seqs: [Int64] = []
        var moved: [Int64: Int64] = [:]
        for draft in drafts {
            let audience = members[draft.conversationID] ?? []
            guard lastSeq[draft.conversationID] != nil, audience.contains(draft.senderID) else {
                results.append(.failure(.notFound("conversation not found")))
                continue
            }
            let key = draft.clientMessageID.map { RetryKey(conversationID: draft.conversationID, senderID: draft.senderID, clientMessageID: $0) }
            if let key, let existing = stored[key] {
                results.append(.success(AppendedMessage(outcome: .existing(existing), memberIDs: audience, origin: draft.origin)))
                continue
            }
            if direct.contains(draft.conversationID),
                blocked.contains(BlockPair(blockerID: audience.first { $0 != draft.senderID } ?? 0, blockedID: draft.senderID))
            {
                results.append(.failure(.blocked))
                continue
            }
            if let reply = draft.replyToSeq, !(1...lastSeq[draft.conversationID]!).contains(reply) {
                // Seqs are gapless and tombstones keep theirs, so every seq up to the last one names a message.
                results.append(.failure(.validation("replyToSeq must be the seq of a message in this conversation", field: "replyToSeq")))
                continue
            }
            let seq = lastSeq[draft.conversationID]! + 1
            lastSeq[draft.conversationID] = seq
            moved[draft.conversationID] = seq
            let message = Message(
                id: draft.id, conversationID: draft.conversationID, seq: seq, senderID: draft.senderID, content: draft.content,
                clientMessageID: draft.clientMessageID, replyToSeq: draft.replyToSeq, createdAt: Date(millis: draft.createdAt.millis))
            if let key { stored[key] = message }
            inserts.append(draft)
            seqs.append(seq)
            results.append(.success(AppendedMessage(outcome: .created(message), memberIDs: audience, origin: draft.origin)))
        }
        guard !inserts.isEmpty else { return results }

        var insert = SQLQueryString(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, reply_to_seq, created_at) VALUES ")
        for (index, draft) in inserts.enumerated() {
            if index > 0 { insert += ", " }
            insert +=
                "(\(bind: draft.id), \(bind: draft.conversationID), \(bind: seqs[index]), \(bind: draft.senderID), \(bind: draft.content), \(bind: draft.clientMessageID), \(bind: draft.replyToSeq), \(bind: draft.createdAt.millis))"
        }
        try await db.raw(insert).run()

        var update = SQLQueryString("UPDATE conversations SET last_seq = CASE id")
        for (conversationID, seq) in moved { update += " WHEN \(bind: conversationID) THEN \(bind: seq)" }
        update += " END WHERE id IN (\(binds: Array(moved.keys)))"
        try await db.raw(update).run()
        return results
    }

    /// Messages already stored under the batch's client ids, by exact (conversation, sender, client id): each
    /// term is a lookup in the unique index, however long the conversation.
    private func existingRetries(on db: any SQLDatabase) async throws -> [RetryKey: Message] {
        var keys: [RetryKey] = []
        for draft in drafts {
            guard let clientID = draft.clientMessageID else { continue }
            let key = RetryKey(conversationID: draft.conversationID, senderID: draft.senderID, clientMessageID: clientID)
            if !keys.contains(key) { keys.append(key) }
        }
        guard !keys.isEmpty else { return [:] }
        let query = keyLookup(
            "SELECT \(unsafeRaw: Columns.message) FROM messages msg",
            index: "messages_client_id", columns: ["msg.conversation_id", "msg.sender_id", "msg.client_message_id"],
            keys.map { [SQLBind($0.conversationID), SQLBind($0.senderID), SQLBind($0.clientMessageID)] })
        var found: [RetryKey: Message] = [:]
        // A retry answers the message as it is now: with its edits, reactions, or as a tombstone.
        for message in try await SQLChatStore.withReactions(try await db.raw(query).all().map { try $0.decodeMessage() }, on: db) {
            guard let clientID = message.clientMessageID else { continue }
            found[RetryKey(conversationID: message.conversationID, senderID: message.senderID, clientMessageID: clientID)] = message
        }
        return found
    }

    /// The blocks that refuse a draft: in a direct conversation, the other member blocked its sender. One lookup
    /// in the primary key per distinct pair, and no query at all when the batch has no direct conversation.
    private func blockedSenders(direct: Set<Int64>, members: [Int64: [Int64]], on db: any SQLDatabase) async throws -> Set<BlockPair> {
        var pairs: [BlockPair] = []
        for draft in drafts where direct.contains(draft.conversationID) {
            let audience = members[draft.conversationID] ?? []
            guard audience.contains(draft.senderID), let other = audience.first(where: { $0 != draft.senderID }) else { continue }
            let pair = BlockPair(blockerID: other, blockedID: draft.senderID)
            if !pairs.contains(pair) { pairs.append(pair) }
        }
        guard !pairs.isEmpty else { return [] }
        let query = keyLookup(
            "SELECT blocker_id, blocked_id FROM blocks", index: "PRIMARY", columns: ["blocker_id", "blocked_id"],
            pairs.map { [SQLBind($0.blockerID), SQLBind($0.blockedID)] })
        return Set(try await db.raw(query).all().map {
            BlockPair(blockerID: try $0.decode(column: "blocker_id", as: Int64.self), blockedID: try $0.decode(column: "blocked_id", as: Int64.self))
        })
    }

    /// `select` restricted to the rows whose `columns` equal one of `keys` exactly, each key a lookup in the unique
    /// `index` over those columns.
    ///
    /// SQLite and PostgreSQL get an OR of equalities, which they turn into one index probe per term. MariaDB's range
    /// optimizer instead weighs every index (and merges of them) for every OR term on each execution: with a batch
    /// of 50 client ids that analysis took ~6 ms of server CPU per batch and was half of mariadbd's time at 4,000
    /// msg/s (docs/performance.md, "P1 on MariaDB"). A row-value IN list on the one index that answers it exactly
    /// costs a fifth of that; the rows found are the same.
    private func keyLookup(_ select: SQLQueryString, index: String, columns: [String], _ keys: [[SQLBind]]) -> SQLQueryString {
        var query = select
        switch flavor {
        case .mysql:
            query += " FORCE INDEX (\(unsafeRaw: index)) WHERE (\(unsafeRaw: columns.joined(separator: ", "))) IN ("
            for (index, key) in keys.enumerated() {
                if index > 0 { query += ", " }
                query += "("
                for (position, value) in key.enumerated() {
                    if position > 0 { query += ", " }
                    query += "\(value)"
                }
                query += ")"
            }
            query += ")"
        case .sqlite, .postgres:
            query += " WHERE "
            for (index, key) in keys.enumerated() {
                if index > 0 { query += " OR " }
                query += "("
                for (position, (column, value)) in zip(columns, key).enumerated() {
                    if position > 0 { query += " AND " }
                    query += "\(unsafeRaw: column) = \(value)"
                }
                query += ")"
            }
        }
        return query
    }
}
