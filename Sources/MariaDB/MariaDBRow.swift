/// One row of a result set.
public struct MariaDBRow: Sendable {
    public let columns: MariaDBColumns
    public let values: [MariaDBData]

    public subscript(_ column: String) -> MariaDBData? {
        columns.position(of: column).map { values[$0] }
    }
}
