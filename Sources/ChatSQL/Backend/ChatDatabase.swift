import ChatCore
import Logging

/// Opens the backend a database URL names.
public enum ChatDatabase {
    public static func open(_ url: DatabaseURL, options: DatabaseOptions = DatabaseOptions(), logger: Logger) async throws -> any SQLBackend {
        switch url {
        case .sqlite(let path):
            return try await SQLiteBackend.open(path: path, synchronous: options.sqliteSynchronous, metrics: options.metrics, logger: logger)
        case .mysql(let url):
            return try await MySQLBackend.open(url: url, metrics: options.metrics, logger: logger)
        case .postgres(let url):
            return try await PostgresBackend.open(url: url, logger: logger)
        }
    }
}
