import Logging
import NIOCore
import SQLKit

/// SQLKit over a ``MariaDBClient`` (each statement on whichever connection is free) or over one
/// ``MariaDBConnection`` (a session: everything on that connection, as a transaction needs).
///
/// Statements are logged at `queryLogLevel` as SQL text only; bound values never reach a log.
public struct MariaDBSQLDatabase: SQLDatabase {
    enum Target: Sendable {
        case client(MariaDBClient)
        case connection(MariaDBConnection)
    }

    let target: Target
    public let logger: Logger
    public let eventLoop: any EventLoop
    public let queryLogLevel: Logger.Level?
    public var dialect: any SQLDialect { MariaDBDialect() }

    init(target: Target, logger: Logger, eventLoop: any EventLoop, queryLogLevel: Logger.Level?) {
        self.target = target
        self.logger = logger
        self.eventLoop = eventLoop
        self.queryLogLevel = queryLogLevel
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        let values = try binds.map { try MariaDBDataEncoder.encode($0) }
        if let queryLogLevel { logger.log(level: queryLogLevel, "\(sql)", metadata: ["binds": "\(values.count)"]) }
        let result: MariaDBResult
        switch target {
        case .client(let client): result = try await client.query(sql, values)
        case .connection(let connection): result = try await connection.query(sql, values)
        }
        for row in result.rows { onRow(row) }
    }

    /// Keeps everything `closure` runs on one connection (needed for transactions and session state).
    public func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        switch target {
        case .connection:
            return try await closure(self)
        case .client(let client):
            return try await client.withConnection { connection in
                let session = MariaDBSQLDatabase(target: .connection(connection), logger: logger, eventLoop: eventLoop, queryLogLevel: queryLogLevel)
                return try await closure(session)
            }
        }
    }
}
