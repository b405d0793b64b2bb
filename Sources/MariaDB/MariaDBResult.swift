/// What a statement produced: rows for a query, counts for a change.
public struct MariaDBResult: Sendable {
    public var columns: MariaDBColumns
    public var rows: [MariaDBRow]
    /// Rows the statement changed (MySQL counts rows whose values actually changed, not rows matched).
    public var affectedRows: UInt64
    /// The `AUTO_INCREMENT` value of the last inserted row, 0 when there was none.
    public var lastInsertID: UInt64
}
