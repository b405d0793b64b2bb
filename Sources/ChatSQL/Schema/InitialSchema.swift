import SQLKit

/// Version 1: users, logins, conversations (N members from the start), messages.
///
/// Times are integer milliseconds since 1970 so both engines store and compare them the same way.
/// Foreign keys are table constraints, not column `REFERENCES`: MySQL 8.0 parses and silently ignores the latter.
/// Every API query is served by an index: usernames and display names by their lower-cased keys, memberships
/// by user, messages by `(conversation_id, seq)`, idempotency by `(conversation_id, sender_id, client_message_id)`.
enum InitialSchema {
    static let migration = Migration(version: 1, name: "initial schema") { db, flavor in
        try await db.create(table: "users")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("username", type: ColumnType.string(32), .notNull)
            .column("username_key", type: ColumnType.key(32, flavor), .notNull)
            .column("display_name", type: ColumnType.string(64), .notNull)
            .column("display_name_key", type: ColumnType.key(255, flavor), .notNull)
            .column("password_hash", type: ColumnType.string(128), .notNull)
            .column("last_seen_at", type: .bigint)
            .column("created_at", type: .bigint, .notNull)
            .run()
        try await db.create(index: "users_username_key").unique().on("users").column("username_key").run()
        try await db.create(index: "users_display_name_key").on("users").column("display_name_key").run()

        try await db.create(table: "auth_sessions")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("user_id", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("revoked_at", type: .bigint)
            .foreignKey(["user_id"], references: "users", ["id"], onDelete: .cascade)
            .run()
        try await db.create(index: "auth_sessions_user").on("auth_sessions").column("user_id").run()

        try await db.create(table: "refresh_tokens")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("session_id", type: .bigint, .notNull)
            .column("user_id", type: .bigint, .notNull)
            .column("token_hash", type: ColumnType.key(64, flavor), .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("expires_at", type: .bigint, .notNull)
            .column("used_at", type: .bigint)
            .column("replaced_by", type: .bigint)
            .foreignKey(["session_id"], references: "auth_sessions", ["id"], onDelete: .cascade)
            .run()
        try await db.create(index: "refresh_tokens_hash").unique().on("refresh_tokens").column("token_hash").run()
        try await db.create(index: "refresh_tokens_session").on("refresh_tokens").column("session_id").run()

        try await db.create(table: "conversations")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("kind", type: ColumnType.string(16), .notNull)
            .column("title", type: ColumnType.string(255))
            .column("direct_key", type: ColumnType.key(64, flavor))
            .column("last_seq", type: .bigint, .notNull, .default(0))
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .run()
        try await db.create(index: "conversations_direct_key").unique().on("conversations").column("direct_key").run()

        try await db.create(table: "conversation_members")
            .column("conversation_id", type: .bigint, .notNull)
            .column("user_id", type: .bigint, .notNull)
            .column("role", type: ColumnType.string(16), .notNull)
            .column("last_read_seq", type: .bigint, .notNull, .default(0))
            .column("joined_at", type: .bigint, .notNull)
            .primaryKey("conversation_id", "user_id")
            .foreignKey(["conversation_id"], references: "conversations", ["id"], onDelete: .cascade)
            .foreignKey(["user_id"], references: "users", ["id"], onDelete: .cascade)
            .run()
        try await db.create(index: "conversation_members_user").on("conversation_members").column("user_id").column("conversation_id").run()

        try await db.create(table: "messages")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("conversation_id", type: .bigint, .notNull)
            .column("seq", type: .bigint, .notNull)
            .column("sender_id", type: .bigint, .notNull)
            .column("content", type: .text, .notNull)
            .column("client_message_id", type: ColumnType.key(255, flavor))
            .column("created_at", type: .bigint, .notNull)
            .foreignKey(["conversation_id"], references: "conversations", ["id"], onDelete: .cascade)
            .foreignKey(["sender_id"], references: "users", ["id"])
            .run()
        try await db.create(index: "messages_conversation_seq").unique().on("messages").column("conversation_id").column("seq").run()
        try await db.create(index: "messages_client_id").unique().on("messages")
            .column("conversation_id").column("sender_id").column("client_message_id").run()
    }
}
