import SQLKit
import SQLiteKit

/// One row read on a ``SQLiteHandle``, as SQLKit's `SQLRow`: the store's row decoding works on it unchanged.
struct SQLiteResultRow: SQLRow {
    let columns: SQLiteColumnNames
    let values: [SQLiteData]

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offset(of: column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.offset(of: column) else { return true }
        return values[offset] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let offset = columns.offset(of: column) else {
            throw DecodingError.keyNotFound(
                SQLiteColumnKey(column), .init(codingPath: [], debugDescription: "no column named \(column) in the result"))
        }
        return try SQLiteDataDecoder().decode(D.self, from: values[offset])
    }
}
