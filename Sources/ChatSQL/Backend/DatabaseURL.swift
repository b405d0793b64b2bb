import ChatCore
import Foundation

/// Where the data lives, parsed from `CHATONE_DATABASE_URL`.
public enum DatabaseURL: Sendable, Equatable {
    /// A SQLite file, or a private in-memory database when `path` is nil (`sqlite://:memory:`).
    case sqlite(path: String?)
    /// A MySQL or MariaDB server (`mysql://…` or `mariadb://…`), kept whole for the driver to parse.
    case mysql(String)

    /// Accepts `sqlite://relative/or/absolute.sqlite`, `sqlite:///abs/path`, `sqlite://:memory:`, `mysql://…`, `mariadb://…`.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw ChatError.validation("sqlite URL needs a path, e.g. sqlite://chatone.sqlite", field: "databaseURL") }
            self = .sqlite(path: path == ":memory:" ? nil : path)
        } else if text.hasPrefix("mysql://") || text.hasPrefix("mariadb://") {
            self = .mysql(text)
        } else {
            throw ChatError.validation("database URL must start with sqlite://, mysql:// or mariadb://", field: "databaseURL")
        }
    }
}
