import CMariaDB

/// Prepared statements kept open on one connection, keyed by SQL text, least recently used evicted first.
///
/// Reusing a statement saves the prepare round trip and the server's parse. Not thread-safe on its own: it lives
/// inside ``MariaDBConnection`` and is only touched under that connection's lock.
struct StatementCache {
    static let capacity = 64

    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    /// Least recently used first.
    private var order: [String] = []

    /// Removes and returns the statement for `sql`; the caller gives it back with ``put(_:_:)`` when it is reusable.
    mutating func take(_ sql: String) -> UnsafeMutablePointer<MYSQL_STMT>? {
        guard let statement = statements.removeValue(forKey: sql) else { return nil }
        order.removeAll { $0 == sql }
        return statement
    }

    mutating func put(_ sql: String, _ statement: UnsafeMutablePointer<MYSQL_STMT>) {
        if let previous = statements.updateValue(statement, forKey: sql) {
            if previous != statement { mysql_stmt_close(previous) }
            order.removeAll { $0 == sql }
        }
        order.append(sql)
        while order.count > Self.capacity {
            let oldest = order.removeFirst()
            if let evicted = statements.removeValue(forKey: oldest) { mysql_stmt_close(evicted) }
        }
    }

    /// Closes every statement (the connection is closing, or is being discarded).
    mutating func removeAll() {
        for statement in statements.values { mysql_stmt_close(statement) }
        statements = [:]
        order = []
    }

    var count: Int { statements.count }
}
