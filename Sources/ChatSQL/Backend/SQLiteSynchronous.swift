/// SQLite's `PRAGMA synchronous` for ChatOne's WAL database (`CHATONE_SQLITE_SYNCHRONOUS`).
public enum SQLiteSynchronous: String, Sendable, CaseIterable {
    /// Every commit syncs the WAL before it returns: an acknowledged write survives an OS crash or power loss.
    case full
    /// Commits are synced only at checkpoints: faster, and still safe against a crash of the process, but the last
    /// commits before an OS crash or power loss can be lost (and their `seq` numbers given out again).
    case normal

    var pragmaValue: String {
        switch self {
        case .full: "FULL"
        case .normal: "NORMAL"
        }
    }
}
