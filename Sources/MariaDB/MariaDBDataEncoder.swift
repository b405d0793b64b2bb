import Foundation

/// Turns SQLKit's bound values (`any Encodable`) into ``MariaDBData``.
///
/// Plain values map directly; dates become `DATETIME(6)` text in UTC; anything structured (an array, a nested
/// model) is stored as its JSON text, which MySQL's `JSON` columns accept.
enum MariaDBDataEncoder {
    static func encode(_ value: any Encodable) throws -> MariaDBData {
        switch value {
        case let string as String: return .text(string)
        case let bool as Bool: return .integer(bool ? 1 : 0)
        case let int as Int: return .integer(Int64(int))
        case let int as Int64: return .integer(int)
        case let int as Int32: return .integer(Int64(int))
        case let int as Int16: return .integer(Int64(int))
        case let int as Int8: return .integer(Int64(int))
        case let uint as UInt: return .unsignedInteger(UInt64(uint))
        case let uint as UInt64: return .unsignedInteger(uint)
        case let uint as UInt32: return .integer(Int64(uint))
        case let uint as UInt16: return .integer(Int64(uint))
        case let uint as UInt8: return .integer(Int64(uint))
        case let double as Double: return .double(double)
        case let float as Float: return .double(Double(float))
        case let decimal as Decimal: return .text(decimal.description)
        case let date as Date: return .text(MariaDBDateFormat.string(from: date))
        case let uuid as UUID: return .text(uuid.uuidString)
        case let data as Data: return .bytes(Array(data))
        case let bytes as [UInt8]: return .bytes(bytes)
        default: return try encodeViaJSON(value)
        }
    }

    /// Everything else goes through JSON: optionals (nil or a wrapped plain value), raw-value enums, wrappers, and
    /// structured values, which stay JSON text.
    private static func encodeViaJSON(_ value: any Encodable) throws -> MariaDBData {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(MariaDBDateFormat.string(from: date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(Wrapper(value: value))
        // The element between the brackets tells its own type by its first character.
        let inner = String(decoding: json.dropFirst().dropLast(), as: UTF8.self)
        switch inner.first {
        case nil, "n": return .null
        case "t": return .integer(1)
        case "f": return .integer(0)
        case "\"": return .text(try JSONDecoder().decode([String].self, from: json)[0])
        case "{", "[": return .text(inner)
        default:
            if let integer = Int64(inner) { return .integer(integer) }
            if let double = Double(inner) { return .double(double) }
            return .text(inner)
        }
    }

    /// Top-level fragments in an array so every Foundation version accepts them.
    private struct Wrapper: Encodable {
        let value: any Encodable
        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(value)
        }
    }
}

/// `DATETIME(6)` text, always UTC (each connection sets `time_zone = '+00:00'`).
enum MariaDBDateFormat {
    static func string(from date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = seconds.rounded(.down)
        var micros = Int(((seconds - whole) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            whole += 1
            micros -= 1_000_000
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: whole))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2)) \(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(micros, 6))"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DD HH:MM:SS.ffffff` as UTC.
    static func date(from text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard let dayPart = parts.first else { return nil }
        let day = dayPart.split(separator: "-").compactMap { Int($0) }
        guard day.count == 3 else { return nil }
        var components = DateComponents(year: day[0], month: day[1], day: day[2], hour: 0, minute: 0, second: 0)
        var fraction = 0.0
        if parts.count > 1 {
            let timeAndFraction = parts[1].split(separator: ".", maxSplits: 1)
            let time = timeAndFraction[0].split(separator: ":").compactMap { Int($0) }
            guard time.count == 3 else { return nil }
            components.hour = time[0]
            components.minute = time[1]
            components.second = time[2]
            if timeAndFraction.count == 2 { fraction = Double("0." + timeAndFraction[1]) ?? 0 }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { return nil }
        return Date(timeIntervalSince1970: date.timeIntervalSince1970 + fraction)
    }
}
