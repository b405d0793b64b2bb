import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// HTTP/1 with the WebSocket upgrade for Engine.IO endpoints: HummingbirdWebSocket's HTTP/1 + upgrade channel,
/// except that an upgraded connection is run by an ``EngineIOWebSocketHandler`` in the pipeline rather than by an
/// async handler, so an idle WebSocket holds no task (the connection's task ends once the upgrade is done).
///
/// And four fixes: a request head the HTTP parser refuses (for example a 100 kB header) arrives while the upgrade
/// handler still owns the pipeline, where nothing answers or closes, so the connection would stay open and idle
/// forever; here such a parse error closes the connection. A connection with no request in progress for
/// `idleTimeout` (including one that never sends a request), or whose request takes longer than `requestTimeout` to
/// arrive, is closed; see `CloseWhenIdle`. A refused WebSocket handshake is answered with the Engine.IO refusal
/// (503, or the handshake filter's status) instead of a bare 400; see `UpgradeRefusal`. And the peer's address
/// reaches the polling routes (`remoteAddress`).
struct EngineIOHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    /// What the connection became once its first request head was read.
    enum Upgrade: Sendable {
        /// A WebSocket, run by its handler in the pipeline.
        case webSocket
        /// Plain HTTP.
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A refused upgrade: answered (an empty 400, or the Engine.IO refusal) and closed by a handler in the pipeline.
        case failedUpgrade
    }

    struct Value: ServerChildChannelValue {
        let upgrade: EventLoopFuture<Upgrade>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let endpoints: [EngineIOServer]
    let http1: HTTP1Channel.Configuration
    /// The largest WebSocket frame read (twice the largest `maxPayload`, so a message over the limit gets a close the
    /// client can read).
    let maxFrameSize: Int
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

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        endpoints: [EngineIOServer],
        http1: HTTP1Channel.Configuration,
        maxFrameSize: Int,
        idleTimeout: TimeAmount?,
        requestTimeout: TimeAmount?,
        receiveBufferSize: Int?
    ) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.endpoints = endpoints
        self.http1 = http1
        self.maxFrameSize = maxFrameSize
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.receiveBufferSize = receiveBufferSize
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let accepted = NIOLoopBoundBox<EngineIOWebSocketHandler.Start?>(nil, eventLoop: channel.eventLoop)
            let endpoints = self.endpoints
            let maxPayload = endpoints.map(\.configuration.maxPayload).max() ?? (1 << 20)
            let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                maxFrameSize: maxFrameSize,
                shouldUpgrade: { channel, head in
                    upgradeAttempted.value = true
                    let request = HTTPRequest(webSocketUpgrade: head)
                    for endpoint in endpoints {
                        switch endpoint.webSocketUpgrade(request, channel: channel) {
                        case nil: continue
                        case .refuse?: return channel.eventLoop.makeSucceededFuture(nil)
                        case .accept(let start)?:
                            accepted.value = start
                            return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                        }
                    }
                    return channel.eventLoop.makeSucceededFuture(nil)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let start = accepted.value else { throw ChannelError.inappropriateOperationForState }
                        accepted.value = nil
                        try channel.pipeline.syncOperations.addHandler(EngineIOWebSocketHandler(start: start, maxPayload: maxPayload))
                        return Upgrade.webSocket
                    }
                }
            )
            let http1 = self.http1
            let serverUpgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if upgradeAttempted.value {
                            // Answered on the event loop: a flood of refused handshakes costs no task.
                            try channel.pipeline.syncOperations.addHandler(FailedUpgradeAnswer())
                            return Upgrade.failedUpgrade
                        }
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger)
                        )
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        return Upgrade.notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Upgrade>(upgradeConfiguration: serverUpgradeConfiguration)
            configuration.enablePipelining = false  // HTTP is pipelined by NIOAsyncChannel
            configuration.enableErrorHandling = false  // Hummingbird handles errors
            configuration.enableResponseHeaderValidation = false  // Swift HTTP Types validate them
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let upgrade = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)

            // Each connection keeps its last receive buffer for the next read; NIO's first one is 2 KiB, which an idle
            // WebSocket holds for nothing. Handshakes and chat frames fit in 512 bytes; the allocator grows for more.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)
            )
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
            return Value(upgrade: upgrade, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgrade.get() {
            case .webSocket, .failedUpgrade:
                // A handler in the pipeline runs it; this task is not needed any more.
                return
            case .notUpgraded(let http1):
                var logger = logger
                logger.handler = MalformedRequestLogHandler(wrapping: logger.handler)
                await Self.$remoteAddress.withValue(value.channel.remoteAddress) { [logger] in
                    await handleHTTP(asyncChannel: http1, logger: logger)
                }
            }
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("upgrade not completed: input closed")
        } catch {
            logger.debug("upgrade not completed", metadata: ["error.type": "\(error)"])
        }
    }

    /// NIO only upgrades on a connection's first request. A later request asking for a WebSocket is redirected to the
    /// same URL on a new connection (this one closes), as HummingbirdWebSocket does.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectClose: Error {}
        return { request, responseWriter, channel in
            if request.headers[.upgrade] == "websocket" {
                var path = request.uri.path
                if let query = request.uri.query { path += "?\(query)" }
                let response = HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: path])
                try await responseWriter.writeResponse(response)
                throw RedirectClose()
            }
            try await responder(request, responseWriter, channel)
        }
    }

    /// Answers a refused upgrade request with an empty 400 and closes the connection (`UpgradeRefusal`, nearer the
    /// socket, replaces that answer with the Engine.IO refusal when there is one).
    final class FailedUpgradeAnswer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            var headers = HTTPHeaders()
            headers.add(name: "Connection", value: "close")
            headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
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
