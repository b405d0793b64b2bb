import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// SQLKit's `SQLDatabase` over a ``SQLiteExecutorThread``'s connection, so the store's SQL runs there unchanged.
///
/// A statement runs synchronously when the caller already runs on the connection's thread (inside
/// ``SQLiteBackend``'s transactions, which prefer that thread as their task executor); otherwise it hops there and
/// back. Each statement's text is prepared once per connection and reused.
struct SQLiteThreadDatabase: SQLDatabase {
    let thread: SQLiteExecutorThread
    let logger: Logger

    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { SQLiteDialect() }
    /// Never logged: binds include password and token hashes.
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, rawBinds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        let binds = try rawBinds.map { try encoder.encode($0) }
        let rows = try await thread.run { try $0.query(sql, binds) }
        for row in rows { onRow(row) }
    }
}
