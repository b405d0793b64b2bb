import ChatCore

/// Engine settings that are not part of the database URL.
public struct DatabaseOptions: Sendable, Equatable {
    /// SQLite only: how hard each commit syncs. `full` by default, so that acknowledged means on disk.
    public var sqliteSynchronous: SQLiteSynchronous
    /// Where connection-pool waits are counted (`chatone_db_pool_waits_total`); nothing by default.
    public var metrics: ChatMetrics

    public init(sqliteSynchronous: SQLiteSynchronous = .full, metrics: ChatMetrics = .disabled) {
        self.sqliteSynchronous = sqliteSynchronous
        self.metrics = metrics
    }

    /// The engine settings; where metrics go is not a setting of the database.
    public static func == (lhs: DatabaseOptions, rhs: DatabaseOptions) -> Bool {
        lhs.sqliteSynchronous == rhs.sqliteSynchronous
    }
}
