import ChatCore
import Logging

/// Opens the backend a database URL names.
public enum ChatDatabase {
    public static func open(_ url: DatabaseURL, logger: Logger) async throws -> any SQLBackend {
        switch url {
        case .sqlite(let path):
            return try await SQLiteBackend.open(path: path, logger: logger)
        case .mysql:
            throw ChatError.validation("MySQL/MariaDB support is not built yet; use a sqlite:// URL", field: "databaseURL")
        }
    }
}
