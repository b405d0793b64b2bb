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
        """
        CREATE TABLE IF NOT EXISTS cluster_payloads (
            id BIGINT PRIMARY KEY,
            payload TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
    ]
}
