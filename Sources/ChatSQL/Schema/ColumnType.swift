import SQLKit

/// Column types that the engines spell differently.
enum ColumnType {
    /// A string compared byte for byte. MySQL's default collations ignore case and accents, which would break
    /// prefix ranges and uniqueness on keys we lower-case ourselves.
    static func key(_ length: Int, _ flavor: SQLFlavor) -> SQLDataType {
        switch flavor {
        case .sqlite: .custom(SQLRaw("VARCHAR(\(length))"))
        case .mysql: .custom(SQLRaw("VARCHAR(\(length)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        // The "C" collation orders by code point (bytes of UTF-8), whatever the database's locale.
        case .postgres: .custom(SQLRaw("VARCHAR(\(length)) COLLATE \"C\""))
        }
    }

    static func string(_ length: Int) -> SQLDataType {
        .custom(SQLRaw("VARCHAR(\(length))"))
    }
}
