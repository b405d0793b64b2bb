import SQLKit

/// Version 3: what chat users expect beyond the first release: replies, edits, deletes (tombstones), reactions,
/// blocks and full-text search.
///
/// - A tombstone keeps its row (its `seq` stays taken) with `deleted_at` set and `content` emptied: the column
///   stays NOT NULL because SQLite cannot relax a column's constraint in place, and an empty text is also what
///   takes the message out of the search index on every engine.
/// - Reactions are one row per (message, emoji, user). `emoji_position` is the emoji's place on the message, fixed
///   when the emoji is first used (and kept while anyone still reacts with it); `position` orders the rows as they
///   were added. So a message's emoji come out in the order each was first used, each emoji's users in the order
///   they reacted.
/// - Blocks are one row per (blocker, blocked), found by either side.
/// - Search is the engine's own full-text index. SQLite: an FTS5 table without a copy of the text
///   (`content=''`, `contentless_delete=1`) keyed by the message id and kept current by triggers, so no code
///   path that writes messages can forget it; `unicode61` splits words at anything that is not a letter, mark
///   or digit (any script) and folds case and diacritics; `prefix='1 2 3'` adds indexes of every word's first one, two
///   and three characters, so the short prefixes a user types ("h", "ha", "har") are lookups, not scans of every word. MariaDB/MySQL: an InnoDB `FULLTEXT` index on
///   `content`, which InnoDB keeps current itself (see docs/search.md for its token-size and stopword settings).
///   PostgreSQL: a GIN expression index over the accent-folded text (``PostgresSearchSchema``).
enum MessageFeaturesSchema {
    static let migration = Migration(version: 3, name: "replies, edits, deletes, reactions, blocks, search") { db, flavor in
        // One column per statement: SQLite's ALTER TABLE adds one at a time. Nullable, so nothing is rewritten.
        try await db.raw("ALTER TABLE messages ADD COLUMN reply_to_seq BIGINT").run()
        try await db.raw("ALTER TABLE messages ADD COLUMN edited_at BIGINT").run()
        try await db.raw("ALTER TABLE messages ADD COLUMN deleted_at BIGINT").run()

        try await db.create(table: "message_reactions")
            .column("message_id", type: .bigint, .notNull)
            .column("emoji", type: ColumnType.key(64, flavor), .notNull)
            .column("user_id", type: .bigint, .notNull)
            .column("emoji_position", type: .bigint, .notNull)
            .column("position", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("message_id", "emoji", "user_id")
            .foreignKey(["message_id"], references: "messages", ["id"], onDelete: .cascade)
            .foreignKey(["user_id"], references: "users", ["id"], onDelete: .cascade)
            .run()
        try await db.create(index: "message_reactions_order").on("message_reactions").column("message_id").column("emoji_position")
            .column("position").run()

        try await db.create(table: "blocks")
            .column("blocker_id", type: .bigint, .notNull)
            .column("blocked_id", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("blocker_id", "blocked_id")
            .foreignKey(["blocker_id"], references: "users", ["id"], onDelete: .cascade)
            .foreignKey(["blocked_id"], references: "users", ["id"], onDelete: .cascade)
            .run()
        try await db.create(index: "blocks_blocked").on("blocks").column("blocked_id").column("blocker_id").run()
        try await db.create(index: "blocks_newest").on("blocks").column("blocker_id").column("created_at").column("blocked_id").run()

        switch flavor {
        case .sqlite:
            try await db.raw(
                """
                CREATE VIRTUAL TABLE messages_fts USING fts5(
                    content, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')
                """
            ).run()
            try await db.raw(
                """
                CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
                END
                """
            ).run()
            // An edit re-indexes; a delete (content emptied, deleted_at set) leaves the message out.
            try await db.raw(
                """
                CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, deleted_at ON messages BEGIN
                    DELETE FROM messages_fts WHERE rowid = old.id;
                    INSERT INTO messages_fts (rowid, content) SELECT new.id, new.content WHERE new.deleted_at IS NULL;
                END
                """
            ).run()
            try await db.raw(
                """
                CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                    DELETE FROM messages_fts WHERE rowid = old.id;
                END
                """
            ).run()
            try await db.raw("INSERT INTO messages_fts (rowid, content) SELECT id, content FROM messages").run()
        case .mysql:
            try await db.raw("ALTER TABLE messages ADD FULLTEXT INDEX messages_content_fts (content)").run()
        case .postgres:
            try await PostgresSearchSchema.create(on: db)
        }
    }
}
