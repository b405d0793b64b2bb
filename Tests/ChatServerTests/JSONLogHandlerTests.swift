import ChatServer
import Foundation
import Logging
import Synchronization
import Testing

/// `CHATONE_LOG_FORMAT=json`: each log call is one line holding one JSON object that any JSON parser reads back.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    static func logger(_ lines: Lines) -> Logger {
        Logger(label: "chatone") { label in
            JSONLogHandler(label: label, output: .init { line in lines.lines.withLock { $0.append(line) } })
        }
    }

    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false, "one line per entry")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("fields, metadata and escaping")
    func fields() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "hb.request.id"] = "abc123"
        logger.info(
            "line one\nline \"two\" \u{1}\u{2028}é🙂",
            metadata: ["status": "200", "list": ["a", "1"], "nested": ["k": "v"], "message": "clash", "path": "C:\\dir"])
        let entry = try Self.object(try #require(lines.all.first))
        #expect(entry["level"] as? String == "info")
        #expect(entry["logger"] as? String == "chatone")
        #expect(entry["message"] as? String == "line one\nline \"two\" \u{1}\u{2028}é🙂")
        #expect(entry["meta.message"] as? String == "clash")
        #expect(entry["hb.request.id"] as? String == "abc123")
        #expect(entry["status"] as? String == "200")
        #expect(entry["list"] as? [String] == ["a", "1"])
        #expect(entry["nested"] as? [String: String] == ["k": "v"])
        #expect(entry["path"] as? String == "C:\\dir")
        let time = try #require(entry["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(time)")
    }

    @Test("secrets in metadata are redacted, and the level filters")
    func redaction() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger.logLevel = .notice
        logger.info("dropped")
        logger.notice("kept", metadata: ["accessToken": "eyJ.secret", "password": "hunter2", "inner": ["refresh_token": "r"]])
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        for secret in ["eyJ.secret", "hunter2", "\"r\""] { #expect(!line.contains(secret)) }
        let entry = try Self.object(line)
        #expect(entry["accessToken"] as? String == "[redacted]")
        #expect(entry["inner"] as? [String: String] == ["refresh_token": "[redacted]"])
    }
}
