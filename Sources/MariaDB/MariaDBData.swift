/// One value travelling to or from the server: a bound parameter or a column of a result row.
///
/// Values always travel as prepared-statement parameters, never as SQL text.
public enum MariaDBData: Sendable, Hashable {
    case null
    case integer(Int64)
    case unsignedInteger(UInt64)
    case double(Double)
    /// Text in UTF-8 (`utf8mb4` on the wire).
    case text(String)
    /// Binary strings (`BLOB`, `VARBINARY`, `BIT`), byte for byte.
    case bytes([UInt8])

    /// Whether this is SQL `NULL`.
    public var isNull: Bool { self == .null }

    /// The value as a signed integer, converting where that is lossless (text that is a number, unsigned in range).
    public var int64: Int64? {
        switch self {
        case .integer(let value): value
        case .unsignedInteger(let value): Int64(exactly: value)
        case .double(let value): Int64(exactly: value)
        case .text(let text): Int64(text) ?? Double(text).flatMap { Int64(exactly: $0) }
        case .bytes(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        case .null: nil
        }
    }

    /// The value as an unsigned integer, converting where that is lossless.
    public var uint64: UInt64? {
        switch self {
        case .unsignedInteger(let value): value
        case .integer(let value): UInt64(exactly: value)
        case .double(let value): UInt64(exactly: value)
        case .text(let text): UInt64(text)
        case .bytes(let bytes): UInt64(String(decoding: bytes, as: UTF8.self))
        case .null: nil
        }
    }

    /// The value as a floating-point number.
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        case .unsignedInteger(let value): Double(value)
        case .text(let text): Double(text)
        case .bytes(let bytes): Double(String(decoding: bytes, as: UTF8.self))
        case .null: nil
        }
    }

    /// The value as text; bytes only when they are valid UTF-8.
    public var string: String? {
        switch self {
        case .text(let text): text
        case .bytes(let bytes): String(validating: bytes, as: UTF8.self)
        case .integer(let value): String(value)
        case .unsignedInteger(let value): String(value)
        case .double(let value): String(value)
        case .null: nil
        }
    }

    /// The value as bytes (binary strings, or the UTF-8 of text).
    public var bytes: [UInt8]? {
        switch self {
        case .bytes(let bytes): bytes
        case .text(let text): Array(text.utf8)
        default: nil
        }
    }
}
