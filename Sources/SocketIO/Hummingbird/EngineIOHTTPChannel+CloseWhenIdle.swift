import NIOCore
import NIOHTTP1

extension EngineIOHTTPChannel {
    /// Closes an HTTP/1 connection that has had no request in progress for `timeout`: one that
    /// never sends a complete request head, and a keep-alive connection left idle between requests.
    ///
    /// Hummingbird's own idle handler (`HTTP1Channel.Configuration.idleTimeout`) is only installed
    /// once the upgrade handler has seen a first request head, so a connection that sends nothing
    /// (or a head that never ends) would otherwise be held forever.
    ///
    /// It sits behind the upgrade handler, so it sees NIO's HTTP parts: a request is in progress
    /// from its head until the response's end has been written, which covers a long-polling GET
    /// the server holds open. When the connection becomes a WebSocket it removes itself, before any
    /// frame passes; Engine.IO's heartbeat watches those connections.
    ///
    /// Used only on the channel's event loop (added and removed through `syncOperations`), hence
    /// not `Sendable`.
    final class CloseWhenIdle: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        private let timeout: TimeAmount
        /// Requests whose head arrived and whose response has not ended yet.
        private var requestsInProgress = 0
        private var timer: Scheduled<Void>?

        init(timeout: TimeAmount) {
            self.timeout = timeout
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive {
                startTimer(context: context)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            stopTimer()
        }

        func channelActive(context: ChannelHandlerContext) {
            startTimer(context: context)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            stopTimer()
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) {
                requestsInProgress += 1
                stopTimer()
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data), requestsInProgress > 0 {
                requestsInProgress -= 1
                if requestsInProgress == 0 {
                    startTimer(context: context)
                }
            }
            context.write(data, promise: promise)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .upgradeComplete = event as? HTTPServerUpgradeEvents {
                // The upgrade handler fires this before it lets the first WebSocket bytes through,
                // so no frame ever reaches this HTTP-typed handler.
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
            context.fireUserInboundEventTriggered(event)
        }

        private func startTimer(context: ChannelHandlerContext) {
            stopTimer()
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.timer = nil
                if self.requestsInProgress == 0 {
                    context.close(promise: nil)
                }
            }
        }

        private func stopTimer() {
            timer?.cancel()
            timer = nil
        }
    }
}
