import ChatCore
import Foundation

/// Where the data lives, parsed from `CHATONE_DATABASE_URL`.
public enum DatabaseURL: Sendable, Equatable {
    /// A SQLite file, or a private in-memory database when `path` is nil (`sqlite://:memory:`).
    case sqlite(path: String?)
    /// A MySQL or MariaDB server (`mysql://…` or `mariadb://…`), kept whole for the driver to parse.
    case mysql(String)
    /// A PostgreSQL server (`postgres://…` or `postgresql://…`), kept whole; ``PostgresURL`` parses it.
    case postgres(String)

    /// Accepts `sqlite://relative/or/absolute.sqlite`, `sqlite:///abs/path`, `sqlite://:memory:`, `mysql://…`,
    /// `mariadb://…`, `postgres://…` and `postgresql://…`.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw ChatError.validation("sqlite URL needs a path, e.g. sqlite://chatone.sqlite", field: "databaseURL") }
            self = .sqlite(path: path == ":memory:" ? nil : path)
        } else if text.hasPrefix("mysql://") || text.hasPrefix("mariadb://") {
            self = .mysql(text)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            // Parsed now, so a malformed URL is a configuration error at start-up rather than at first connect.
            _ = try PostgresURL(parsing: text)
            self = .postgres(text)
        } else {
            throw ChatError.validation(
                "database URL must start with sqlite://, mysql://, mariadb://, postgres:// or postgresql://", field: "databaseURL")
        }
    }
}
