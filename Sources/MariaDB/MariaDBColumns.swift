import Foundation

/// Column names of one result set, shared by all its rows.
public final class MariaDBColumns: Sendable {
    /// Column names (or aliases) in result order.
    public let names: [String]
    private let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        // When two columns share a name (a join without aliases), the first wins, as in most drivers.
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }

    /// The index of the first column called `name`.
    public func position(of name: String) -> Int? { index[name] }
}
