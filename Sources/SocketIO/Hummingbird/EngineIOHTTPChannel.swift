import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// HummingbirdWebSocket's HTTP/1 + upgrade channel, plus one fix: a request head the HTTP parser
/// refuses (for example a 100 kB header) arrives while the upgrade handler still owns the pipeline,
/// where nothing answers or closes, so the connection would stay open and idle forever. Here such a
/// parse error closes the connection. A second: a connection with no request in progress for
/// `idleTimeout` (including one that never sends a request), or whose request takes longer than
/// `requestTimeout` to arrive, is closed; see `CloseWhenIdle`. A third: a refused WebSocket handshake is
/// answered with the Engine.IO refusal (503, or the handshake filter's status) instead of Hummingbird's
/// bare 400; see `UpgradeRefusal`. And the peer's address reaches the polling routes (`remoteAddress`).
struct EngineIOHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let inner: HTTP1WebSocketUpgradeChannel
    /// `nil` keeps idle connections open (the old behaviour).
    let idleTimeout: TimeAmount?
    /// `nil` lets a request take as long as it likes to arrive (the old behaviour).
    let requestTimeout: TimeAmount?
    /// The kernel's receive buffer per connection (`SO_RCVBUF`); `nil` leaves the system's autotuning.
    ///
    /// Input backpressure stops reading from a connection whose events are not being handled fast enough; what
    /// it wrote meanwhile waits in this buffer, and after a graceful close it is still read and handled. A few
    /// payloads' worth keeps that bounded (autotuning lets it grow to megabytes) at no cost for chat traffic.
    let receiveBufferSize: Int?

    /// The peer address of the connection whose requests the current task handles. The router runs
    /// requests inside the connection's task, so the polling routes see it whatever the request context.
    @TaskLocal static var remoteAddress: SocketAddress?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            if let receiveBufferSize {
                try channel.syncOptions?.setOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
            }
            try channel.pipeline.syncOperations.addHandler(CloseOnParserError())
            try channel.pipeline.syncOperations.addHandler(UpgradeRefusal())
            if idleTimeout != nil || requestTimeout != nil {
                // Added last, behind the upgrade handler: it must see the HTTP parts the upgrade
                // handler lets through and its upgrade-complete event. Its byte observer goes first,
                // in front of the HTTP parser, to see a request head that never completes.
                let guardHandler = CloseWhenIdle(idleTimeout: idleTimeout, requestTimeout: requestTimeout)
                try channel.pipeline.syncOperations.addHandler(guardHandler)
                if requestTimeout != nil {
                    try channel.pipeline.syncOperations.addHandler(guardHandler.byteObserver, position: .first)
                }
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        var logger = logger
        logger.handler = MalformedRequestLogHandler(wrapping: logger.handler)
        await Self.$remoteAddress.withValue(value.channel.remoteAddress) { [logger] in
            await inner.handle(value: value, logger: logger)
        }
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
