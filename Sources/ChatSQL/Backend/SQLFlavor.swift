/// Which database engine a backend talks to. Queries are written once; the flavor only picks column
/// details that the engines spell differently (collations, table options) and the few statements that differ
/// (row locks for reading, full-text search).
public enum SQLFlavor: String, Sendable {
    case sqlite
    case mysql
    case postgres
}
