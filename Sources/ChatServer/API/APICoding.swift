import Foundation

/// The JSON conventions of API.md: RFC 3339 UTC times with milliseconds.
enum APICoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        // Stable key order makes responses diffable and logs readable; the cost is negligible at these sizes.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    static func timestamp(_ date: Date) -> String {
        APITimestamp.string(date)
    }
}
