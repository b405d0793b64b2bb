import NIOCore
import NIOHTTP1

extension EngineIOHTTPChannel {
    /// Closes an HTTP/1 connection that has had no request in progress for `idleTimeout` (one that
    /// never sends anything, and a keep-alive connection left idle between requests), or whose
    /// request takes longer than `requestTimeout` to arrive (a head or body that trickles in a byte
    /// at a time, or never ends).
    ///
    /// Hummingbird's own idle handler (`HTTP1Channel.Configuration.idleTimeout`) is only installed
    /// once the upgrade handler has seen a first request head, and nothing bounds how long a request
    /// may take to arrive, so such connections would otherwise be held forever.
    ///
    /// It sits behind the upgrade handler, so it sees NIO's HTTP parts: a request is in progress
    /// from its head until the response's end has been written, which covers a long-polling GET
    /// the server holds open. A request is *arriving* from its first byte (seen by `byteObserver`, in
    /// front of the HTTP parser) until its end has been parsed; only that part is timed by
    /// `requestTimeout`, so a held long-polling GET (whose request ended at once) is not cut. When the
    /// connection becomes a WebSocket both handlers remove themselves, before any frame passes;
    /// Engine.IO's heartbeat watches those connections.
    ///
    /// Used only on the channel's event loop (added and removed through `syncOperations`), hence
    /// not `Sendable`.
    final class CloseWhenIdle: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        private let idleTimeout: TimeAmount?
        private let requestTimeout: TimeAmount?
        /// Requests whose head arrived and whose response has not ended yet.
        private var requestsInProgress = 0
        /// Whether a request's bytes have started to arrive and its end has not been parsed yet.
        private var arriving = false
        /// Timers of the loop's shared queue, not NIO timers: each connection cancels one or both at its first
        /// request, and cancelling a NIO timer searches a heap that holds every connected socket's timers.
        private var idleTimer: EventLoopTimer?
        private var requestTimer: EventLoopTimer?
        private var context: ChannelHandlerContext?
        /// Sees raw bytes in front of the HTTP parser, so the request timer starts with a head's first byte.
        private(set) lazy var byteObserver = ByteObserver(owner: self)

        init(idleTimeout: TimeAmount?, requestTimeout: TimeAmount?) {
            self.idleTimeout = idleTimeout
            self.requestTimeout = requestTimeout
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            if context.channel.isActive {
                startIdleTimer(context: context)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            stopTimers()
            self.context = nil
        }

        func channelActive(context: ChannelHandlerContext) {
            startIdleTimer(context: context)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            stopTimers()
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                requestsInProgress += 1
                idleTimer?.cancel()
                idleTimer = nil
                requestStarted(context: context)
            case .body:
                break
            case .end:
                arriving = false
                requestTimer?.cancel()
                requestTimer = nil
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data), requestsInProgress > 0 {
                requestsInProgress -= 1
                if requestsInProgress == 0 {
                    startIdleTimer(context: context)
                }
            }
            context.write(data, promise: promise)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // Passed on before leaving: a removed handler's context no longer reaches the next handlers.
            context.fireUserInboundEventTriggered(event)
            if case .upgradeComplete = event as? HTTPServerUpgradeEvents {
                // The upgrade handler fires this before it lets the first WebSocket bytes through,
                // so no frame ever reaches this HTTP-typed handler.
                if requestTimeout != nil {
                    context.pipeline.syncOperations.removeHandler(byteObserver, promise: nil)
                }
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }

        /// Bytes arrived from the client (before parsing).
        fileprivate func bytesArrived() {
            guard let context else { return }
            requestStarted(context: context)
        }

        /// Starts timing a request's arrival. The idle timer keeps running until the head is parsed: a
        /// head that never completes is cut by whichever fires first.
        private func requestStarted(context: ChannelHandlerContext) {
            guard !arriving else { return }
            arriving = true
            guard let requestTimeout else { return }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            requestTimer = EventLoopTimerQueue.on(context.eventLoop).schedule(in: requestTimeout) {
                let (handler, context) = bound.value
                handler.requestTimer = nil
                // Nothing useful can be answered to a request that never finished arriving; the
                // reference server (Node's `requestTimeout`) answers 408 and closes, closing is what matters.
                if handler.arriving {
                    context.close(promise: nil)
                }
            }
        }

        private func startIdleTimer(context: ChannelHandlerContext) {
            idleTimer?.cancel()
            idleTimer = nil
            guard let idleTimeout else { return }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            idleTimer = EventLoopTimerQueue.on(context.eventLoop).schedule(in: idleTimeout) {
                let (handler, context) = bound.value
                handler.idleTimer = nil
                // No parsed head waiting for its response: nothing, or only part of a head, arrived.
                if handler.requestsInProgress == 0 {
                    context.close(promise: nil)
                }
            }
        }

        private func stopTimers() {
            idleTimer?.cancel()
            idleTimer = nil
            requestTimer?.cancel()
            requestTimer = nil
        }

        /// Passes bytes through unchanged and tells its `CloseWhenIdle` that some arrived.
        final class ByteObserver: ChannelInboundHandler, RemovableChannelHandler {
            typealias InboundIn = ByteBuffer
            typealias InboundOut = ByteBuffer

            // Both handlers live on the same event loop; the owner holds this one.
            private weak var owner: CloseWhenIdle?

            init(owner: CloseWhenIdle) {
                self.owner = owner
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                owner?.bytesArrived()
                context.fireChannelRead(data)
            }
        }
    }
}
