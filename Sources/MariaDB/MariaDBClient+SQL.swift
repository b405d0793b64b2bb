import Logging
import SQLKit

extension MariaDBClient {
    /// SQLKit over the whole pool: each statement runs on a free connection. Use `withSession` or
    /// ``MariaDBConnection/sql(logger:queryLogLevel:)`` for work that must share one connection.
    public func sql(logger: Logger? = nil, queryLogLevel: Logger.Level? = .debug) -> any SQLDatabase {
        MariaDBSQLDatabase(target: .client(self), logger: logger ?? self.logger, eventLoop: eventLoopGroup.any(), queryLogLevel: queryLogLevel)
    }
}
