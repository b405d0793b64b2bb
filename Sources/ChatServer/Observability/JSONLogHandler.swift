import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line (`CHATONE_LOG_FORMAT=json`), for log platforms that
/// parse lines (Loki, Cloud Logging, Elasticsearch, Datadog):
///
///     {"time":"2026-11-26T17:01:02.345Z","level":"info","logger":"chatone","message":"request","hb.request.id":"…","method":"GET",…}
///
/// Metadata keys become top-level fields (a key that would replace `time`, `level`, `logger` or `message` gets a
/// `meta.` prefix). Values whose key names a secret (`token`, `password`, `authorization`, `secret`, `cookie`) are
/// written as `"[redacted]"`: ChatOne never logs one, and this keeps a future mistake out of the log too. Lines go
/// to standard error, like the text format, each written whole under a lock so concurrent lines never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: Output

    /// Where lines go: standard error, or (tests) a closure.
    public struct Output: Sendable {
        let write: @Sendable (String) -> Void

        public static let standardError = Output { line in
            lock.withLock { _ in
                var line = line
                line.withUTF8 { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = Foundation.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                        if written <= 0 { break }
                        offset += written
                    }
                }
            }
        }

        public init(write: @escaping @Sendable (String) -> Void) {
            self.write = write
        }

        private static let lock = Mutex(())
    }

    public init(label: String, output: Output = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{"
        Self.field("time", .string(Self.timestamp()), into: &line, first: true)
        Self.field("level", .string(event.level.rawValue), into: &line)
        Self.field("logger", .string(label), into: &line)
        Self.field("message", .string(event.message.description), into: &line)
        for key in merged.keys.sorted() {
            let name = Self.reserved.contains(key) ? "meta." + key : key
            Self.field(name, Self.isSecret(key) ? .string("[redacted]") : merged[key]!, into: &line)
        }
        line += "}\n"
        output.write(line)
    }

    static let reserved: Set<String> = ["time", "level", "logger", "message"]
    private static let secretWords = ["token", "password", "authorization", "secret", "cookie"]

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretWords.contains { lowered.contains($0) }
    }

    private static func field(_ key: String, _ value: Logger.Metadata.Value, into line: inout String, first: Bool = false) {
        if !first { line += "," }
        appendString(key, to: &line)
        line += ":"
        appendValue(value, to: &line)
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(isSecret(key) ? .string("[redacted]") : dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and every control character escaped, so a message with a newline
    /// still makes one line.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    /// RFC 3339 UTC with milliseconds, as the API writes times.
    static func timestamp(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970
        var time = time_t(seconds.rounded(.down))
        let millis = Int((seconds - Double(time)) * 1000)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
