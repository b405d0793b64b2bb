import SQLKit

extension MariaDBRow: SQLRow {
    public var allColumns: [String] { columns.names }

    public func contains(column: String) -> Bool { columns.position(of: column) != nil }

    public func decodeNil(column: String) throws -> Bool {
        guard let value = self[column] else { throw missing(column) }
        return value.isNull
    }

    public func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let value = self[column] else { throw missing(column) }
        do {
            return try MariaDBDataDecoder.decode(D.self, from: value, column: column)
        } catch let error as DecodingError {
            throw DecodingError.typeMismatch(D.self, .init(codingPath: [SomeKey(column)], debugDescription: "column \(column): \(error)"))
        }
    }

    private func missing(_ column: String) -> DecodingError {
        .keyNotFound(SomeKey(column), .init(codingPath: [], debugDescription: "no column named \(column); have \(columns.names)"))
    }

    private struct SomeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
