import CMariaDB

/// How a result column is fetched and turned into ``MariaDBData``.
enum ColumnKind {
    case signed
    case unsigned
    case double
    case text
    case bytes

    init(_ field: MYSQL_FIELD) {
        let isUnsigned = field.flags & UInt32(UNSIGNED_FLAG) != 0
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            self = isUnsigned ? .unsigned : .signed
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            self = .double
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB, MYSQL_TYPE_VAR_STRING,
            MYSQL_TYPE_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_BIT, MYSQL_TYPE_GEOMETRY:
            // Character set 63 is `binary`: the column holds bytes, not text.
            self = field.charsetnr == 63 ? .bytes : .text
        default:
            // DECIMAL, dates and times, JSON, ENUM, SET: the library formats them as text.
            self = .text
        }
    }

    /// Decodes a value that came over the text protocol.
    func decodeText(_ bytes: UnsafeRawBufferPointer) -> MariaDBData {
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .signed: return Int64(text).map(MariaDBData.integer) ?? .text(text)
        case .unsigned: return UInt64(text).map(MariaDBData.unsignedInteger) ?? .text(text)
        case .double: return Double(text).map(MariaDBData.double) ?? .text(text)
        case .text: return .text(text)
        case .bytes: return .bytes(Array(bytes))
        }
    }
}
