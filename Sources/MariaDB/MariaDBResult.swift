/// What a statement produced: rows for a query, counts for a change.
public struct MariaDBResult: Sendable {
    /// The result set's columns (empty for statements without rows).
    public var columns: MariaDBColumns
    /// Every row, read in full before the connection is handed back.
    public var rows: [MariaDBRow]
    /// Rows the statement changed (MySQL counts rows whose values actually changed, not rows matched).
    public var affectedRows: UInt64
    /// The `AUTO_INCREMENT` value of the last inserted row, 0 when there was none.
    public var lastInsertID: UInt64
}
