import Logging

/// Logs what HummingbirdWebSocket's upgrade channel logs, except that its one line per malformed request
/// ("Error handling upgrade result", at error level, for a request the HTTP parser refused) goes out at debug.
///
/// Such a request is the client's fault and its connection is simply closed; at error level, anyone could fill
/// the error log (and page whoever watches it) by sending garbage.
struct MalformedRequestLogHandler: LogHandler {
    var wrapped: any LogHandler

    static let demotedMessage = "Error handling upgrade result"

    init(wrapping handler: any LogHandler) {
        self.wrapped = handler
    }

    func log(event: LogEvent) {
        var event = event
        if event.level > .debug, event.message.description == Self.demotedMessage {
            guard wrapped.logLevel <= .debug else { return }
            event.level = .debug
        }
        wrapped.log(event: event)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }
}
