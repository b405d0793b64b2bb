/// The column names of a statement's result, shared by all of its rows.
struct SQLiteColumnNames: Sendable {
    let names: [String]
    private let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        // The first column of a name wins, as in SQLiteNIO.
        self.index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func offset(of column: String) -> Int? { index[column] }
}
