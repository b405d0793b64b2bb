/// How `chatone` writes its log (`CHATONE_LOG_FORMAT`).
public enum LogFormat: String, Sendable {
    /// swift-log's plain text lines, for people reading a terminal.
    case text
    /// One JSON object per line (``JSONLogHandler``), for log platforms.
    case json
}
