/// Pulls single fields out of JSON text the server wrote, without building a JSON value: the bench parses
/// tens of thousands of packets a second on one core. It relies on the field names being unique within what
/// is scanned (true for `"seq":` in a Message; `replyToSeq` is spelled differently) and on the server writing
/// plain numbers and strings without escapes for the fields read here.
enum JSONScan {
    /// The integer after `"name":`, or nil.
    static func int(_ name: String, in text: Substring.UTF8View) -> Int? {
        guard let start = valueStart(name, in: text) else { return nil }
        var value = 0
        var index = start
        var digits = 0
        while index < text.endIndex, let digit = digitValue(text[index]) {
            value = value * 10 + digit
            digits += 1
            index = text.index(after: index)
        }
        return digits > 0 ? value : nil
    }

    /// The string after `"name":"`, up to the next quote, or nil.
    static func string(_ name: String, in text: Substring.UTF8View) -> Substring? {
        guard let start = valueStart(name, in: text), start < text.endIndex, text[start] == UInt8(ascii: "\"") else { return nil }
        let first = text.index(after: start)
        guard let end = text[first...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return Substring(text[first..<end])
    }

    /// Whether `needle` occurs in `text`.
    static func contains(_ needle: String, in text: Substring.UTF8View) -> Bool {
        find(Array(needle.utf8), in: text) != nil
    }

    private static func valueStart(_ name: String, in text: Substring.UTF8View) -> Substring.UTF8View.Index? {
        let key = Array("\"\(name)\":".utf8)
        guard let found = find(key, in: text) else { return nil }
        var index = found
        while index < text.endIndex, text[index] == UInt8(ascii: " ") { index = text.index(after: index) }
        return index
    }

    /// The index just past the first occurrence of `key`.
    private static func find(_ key: [UInt8], in text: Substring.UTF8View) -> Substring.UTF8View.Index? {
        guard let first = key.first else { return text.startIndex }
        var index = text.startIndex
        while let candidate = text[index...].firstIndex(of: first) {
            var probe = candidate
            var matched = 0
            while matched < key.count, probe < text.endIndex, text[probe] == key[matched] {
                matched += 1
                probe = text.index(after: probe)
            }
            if matched == key.count { return probe }
            index = text.index(after: candidate)
        }
        return nil
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
