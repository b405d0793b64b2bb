/// Engine settings that are not part of the database URL.
public struct DatabaseOptions: Sendable, Equatable {
    /// SQLite only: how hard each commit syncs. `full` by default, so that acknowledged means on disk.
    public var sqliteSynchronous: SQLiteSynchronous

    public init(sqliteSynchronous: SQLiteSynchronous = .full) {
        self.sqliteSynchronous = sqliteSynchronous
    }
}
