import SQLKit

/// The tables a cluster of nodes shares on PostgreSQL, created when the first node starts. They hold only live,
/// short-lived state (node leases, which node holds whose sockets, oversized bus payloads), never chat data, so they
/// live outside the versioned chat schema and are made with `IF NOT EXISTS` under the migration lock.
enum ClusterSchema {
    static let statements: [String] = [
        """
        CREATE TABLE IF NOT EXISTS cluster_nodes (
            node_id INTEGER PRIMARY KEY,
            lease_until BIGINT NOT NULL,
            started_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS cluster_presence (
            node_id INTEGER NOT NULL,
            user_id BIGINT NOT NULL,
            PRIMARY KEY (node_id, user_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS cluster_presence_user ON cluster_presence (user_id)",
        // Which process holds a node id (its instance number): a node renews only its own lease, so one whose lease
        // ran out and was reaped or taken over finds out at its next heartbeat (docs/scaling.md).
        "ALTER TABLE cluster_nodes ADD COLUMN IF NOT EXISTS holder BIGINT NOT NULL DEFAULT 0",
        // Connection state recovery across nodes (docs/realtime.md): the sessions of sockets, kept from the moment
        // they connect (a node killed with -9 cannot keep them when they drop), and each node's write-ahead log of
        // what it delivered (message ids and conversation-event ids, in its delivery order).
        """
        CREATE TABLE IF NOT EXISTS cluster_recovery_sessions (
            namespace TEXT NOT NULL,
            pid TEXT NOT NULL,
            socket_id TEXT NOT NULL,
            data TEXT NOT NULL,
            rooms TEXT NOT NULL,
            base_offset TEXT,
            node_id INTEGER NOT NULL,
            instance BIGINT NOT NULL,
            disconnected_at BIGINT,
            PRIMARY KEY (namespace, pid)
        )
        """,
        "CREATE INDEX IF NOT EXISTS cluster_recovery_sessions_node ON cluster_recovery_sessions (node_id, instance)",
        "CREATE INDEX IF NOT EXISTS cluster_recovery_sessions_dropped ON cluster_recovery_sessions (disconnected_at)",
        """
        CREATE TABLE IF NOT EXISTS cluster_recovery_log (
            instance BIGINT NOT NULL,
            position BIGINT NOT NULL,
            ordinal INTEGER NOT NULL,
            message_id BIGINT,
            event_id BIGINT,
            at BIGINT NOT NULL,
            PRIMARY KEY (instance, position, ordinal)
        )
        """,
        "CREATE INDEX IF NOT EXISTS cluster_recovery_log_at ON cluster_recovery_log (at)",
        """
        CREATE TABLE IF NOT EXISTS cluster_payloads (
            id BIGINT PRIMARY KEY,
            payload TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
    ]
}
