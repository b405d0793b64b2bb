import Logging
import NIOCore
import SQLKit

extension MariaDBConnection {
    /// SQLKit over this one connection.
    public func sql(logger: Logger, queryLogLevel: Logger.Level? = .debug, eventLoop: any EventLoop) -> any SQLDatabase {
        MariaDBSQLDatabase(target: .connection(self), logger: logger, eventLoop: eventLoop, queryLogLevel: queryLogLevel)
    }
}
