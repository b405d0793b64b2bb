import Foundation

/// Column names of one result set, shared by all its rows.
public final class MariaDBColumns: Sendable {
    public let names: [String]
    private let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        // When two columns share a name (a join without aliases), the first wins, as in most drivers.
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }

    public func position(of name: String) -> Int? { index[name] }
}

/// One row of a result set.
public struct MariaDBRow: Sendable {
    public let columns: MariaDBColumns
    public let values: [MariaDBData]

    public subscript(_ column: String) -> MariaDBData? {
        columns.position(of: column).map { values[$0] }
    }
}

/// What a statement produced: rows for a query, counts for a change.
public struct MariaDBResult: Sendable {
    public var columns: MariaDBColumns
    public var rows: [MariaDBRow]
    /// Rows the statement changed (MySQL counts rows whose values actually changed, not rows matched).
    public var affectedRows: UInt64
    /// The `AUTO_INCREMENT` value of the last inserted row, 0 when there was none.
    public var lastInsertID: UInt64
}
