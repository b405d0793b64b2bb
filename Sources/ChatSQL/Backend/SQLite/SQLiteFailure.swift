/// An error libsqlite3 reported on a ``SQLiteHandle``: its result code and message (never the SQL's bound values).
struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    var description: String { "SQLite error \(code): \(message)" }
}
