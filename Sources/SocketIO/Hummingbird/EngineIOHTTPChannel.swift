import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// HummingbirdWebSocket's HTTP/1 + upgrade channel, plus one fix: a request head the HTTP parser
/// refuses (for example a 100 kB header) arrives while the upgrade handler still owns the pipeline,
/// where nothing answers or closes, so the connection would stay open and idle forever. Here such a
/// parse error closes the connection. And a second: a connection with no request in progress for
/// `idleTimeout` (including one that never sends a request) is closed; see `CloseWhenIdle`.
struct EngineIOHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let inner: HTTP1WebSocketUpgradeChannel
    /// `nil` keeps idle connections open (the old behaviour).
    let idleTimeout: TimeAmount?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(CloseOnParserError())
            if let idleTimeout {
                // Added last, behind the upgrade handler: it must see the HTTP parts the upgrade
                // handler lets through and its upgrade-complete event.
                try channel.pipeline.syncOperations.addHandler(CloseWhenIdle(timeout: idleTimeout))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// Passes everything through; closes the channel on an HTTP parser error.
    final class CloseOnParserError: ChannelInboundHandler, Sendable {
        typealias InboundIn = NIOAny

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if error is HTTPParserError {
                context.close(promise: nil)
                return
            }
            context.fireErrorCaught(error)
        }
    }
}
