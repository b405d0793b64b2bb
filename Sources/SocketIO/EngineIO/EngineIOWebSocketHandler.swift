import NIOCore
import NIOWebSocket

/// The WebSocket transport of one Engine.IO session, as a channel handler behind NIO's WebSocket frame codec.
///
/// Nothing waits while the socket is idle: no task and no continuation. Frames the session queues wake this handler
/// (through its ``Sink``) on the channel's event loop, which writes everything queued in one flush; inbound messages
/// go to the session through an ``EngineIOInboundPump``, whose task exists only while packets wait. The heartbeat is
/// the session's, on an event-loop timer.
///
/// Behaviour, as the reference server (`ws` under engine.io):
/// - A message over `maxPayload` (one frame, or the fragments of one message) is answered with a close 1009; a frame
///   over twice `maxPayload` is refused by NIO's frame decoder, which sends 1009 and drops the connection.
/// - Text must be valid UTF-8 (else close 1007); pings are answered with pongs.
/// - When the session closes, what it queued before is sent, then a close frame (1000); the connection is closed when
///   the client answers it, or after ``closeTimeout``.
/// - A WebSocket upgrading a polling session only accepts the probe (`2probe`, answered `3probe`) and then the upgrade
///   packet (`5`); anything else, or no upgrade within ``EngineIOServer/upgradeTimeout``, leaves the session on polling.
///
/// Used only on its channel's event loop, hence not `Sendable`; the sink and the pump are what other threads see.
final class EngineIOWebSocketHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How long the client has to answer the server's close frame before the connection is closed anyway.
    static let closeTimeout: TimeAmount = .seconds(5)

    /// How the handler was set up by the upgrade.
    enum Start {
        /// A new session over WebSocket (the handshake request was a WebSocket upgrade).
        case handshake(EngineIOServer, EngineIOHandshakeRequest)
        /// A WebSocket upgrading this polling session (probe, then upgrade).
        case upgrade(EngineIOSocket)
        /// A second WebSocket for a session already upgraded (or being upgraded): accepted and closed at once.
        case refuse
    }

    private let start: Start
    private let maxPayload: Int
    private var context: ChannelHandlerContext?
    private var session: EngineIOSocket?
    /// The WebSocket is the session's transport and the session's frames come here.
    private var attached = false
    /// Upgrading a polling session and the upgrade has not completed.
    private var probing = false
    private var closeSent = false
    private var reason: EngineIOCloseReason = .transportClose
    private var pump: EngineIOInboundPump?
    private var partial: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var timer: Scheduled<Void>?

    init(start: Start, maxPayload: Int) {
        self.start = start
        self.maxPayload = maxPayload
    }

    /// Wakes the handler on its event loop when the session queued frames (or closed).
    final class Sink: EngineIOFrameSink {
        private let handler: NIOLoopBound<EngineIOWebSocketHandler>

        init(_ handler: EngineIOWebSocketHandler, eventLoop: any EventLoop) {
            self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
        }

        func framesQueued() {
            let handler = self.handler
            // Inside a batch of deliveries, one task per loop wakes all its connections when the batch ends.
            if let batch = EngineIOWakeBatch.current, batch.add(on: handler.eventLoop, { handler.value.drain() }) { return }
            // Always through the loop's queue, even on the loop: the wake-up may come from inside a write or a close of
            // this very channel, and frames queued meanwhile are then taken together.
            handler.eventLoop.execute { handler.value.drain() }
        }
    }

    // MARK: Set-up

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        switch start {
        case .upgrade(let session):
            self.session = session
            probing = true
            // A client that opens the upgrade WebSocket but never completes it must not hold the session in
            // "upgrading" (which refuses other upgrade attempts) forever.
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: TimeAmount(EngineIOServer.upgradeTimeout)) {
                if session.isUpgradePending {
                    session.abortUpgrade()
                    channel.close(promise: nil)
                }
            }
        case .handshake, .refuse:
            // The first frame waits for the upgrade to complete: this handler is added while the upgrade handler still
            // finishes, and the HTTP-only handlers in the pipeline leave it only once the upgrade-complete event
            // passed. That happens before the current event-loop tick ends.
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { handler.value.begin() }
        }
    }

    /// Opens the session of a handshake WebSocket (or refuses a duplicate upgrade), once the upgrade completed.
    private func begin() {
        guard let context, context.channel.isActive else { return }
        switch start {
        case .handshake(let server, let request):
            guard let (session, open) = server.openSession(request: request, transport: .websocket) else {
                // The pending sessions filled up between the upgrade decision and now: a close code that tells the
                // client to come back later.
                sendClose(context, code: .unknown(1013), reason: "Server busy")
                return
            }
            self.session = session
            var buffer = context.channel.allocator.buffer(capacity: 1 + open.utf8.count)
            buffer.writeInteger(UInt8(ascii: "0"))
            buffer.writeString(open)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
            attach(context, session)
            // The open packet goes out now, even when nothing else was queued.
            context.flush()
        case .refuse:
            sendClose(context, code: .normalClosure)
        case .upgrade:
            break
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    private func attach(_ context: ChannelHandlerContext, _ session: EngineIOSocket) {
        guard session.attachSink(Sink(self, eventLoop: context.eventLoop)) else {
            context.flush()
            sendClose(context, code: .normalClosure)
            return
        }
        attached = true
        drain()
    }

    // MARK: Outbound

    /// Writes whatever the session queued, in one flush; after the session closed, also the close frame.
    fileprivate func drain() {
        guard let session, attached else { return }
        guard let context, context.channel.isActive, !closeSent else {
            // Nobody will send these; taking them detaches the handler from a closed session.
            _ = session.takeForSink()
            return
        }
        guard context.channel.isWritable else {
            // `channelWritabilityChanged` takes the queue once the client reads again. A closed session does not
            // wait for a client that stopped reading.
            if session.isClosed { closeAfterTimeout(context) }
            return
        }
        let (frames, closed) = session.takeForSink()
        for frame in frames {
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.isBinary ? .binary : .text, data: frame.data)), promise: nil)
        }
        if closed {
            sendClose(context, code: .normalClosure)
        } else if !frames.isEmpty {
            context.flush()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain() }
        context.fireChannelWritabilityChanged()
    }

    /// Sends a close frame (once); the connection closes when the client answers, or after `closeTimeout`.
    private func sendClose(_ context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String = "") {
        guard !closeSent else { return }
        closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let session = self.session
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in
            // Everything the session queued before its close has left (or could not be sent).
            if session?.transport == .websocket { session?.webSocketTransportEnded() }
        }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: written)
        closeAfterTimeout(context)
    }

    private func closeAfterTimeout(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: Self.closeTimeout) { channel.close(promise: nil) }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            if closeSent {
                // The client answered our close.
                context.close(promise: nil)
                return
            }
            // The client closes: answer with its code and close once that is written.
            var payload = frame.unmaskedData
            let code = payload.readWebSocketErrorCode() ?? .normalClosure
            endSession()
            closeSent = true
            var answer = context.channel.allocator.buffer(capacity: 2)
            answer.write(webSocketErrorCode: code)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: answer))).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .ping:
            guard !closeSent else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .text, .binary:
            guard partial == nil else { return protocolError(context) }
            let data = frame.unmaskedData
            guard data.readableBytes <= maxPayload else { return tooLarge(context) }
            if frame.fin {
                received(context, opcode: frame.opcode, data: data)
            } else {
                partial = (frame.opcode, data)
            }
        case .continuation:
            guard var message = partial else { return protocolError(context) }
            partial = nil
            var data = frame.unmaskedData
            guard message.data.readableBytes + data.readableBytes <= maxPayload else { return tooLarge(context) }
            message.data.writeBuffer(&data)
            if frame.fin {
                received(context, opcode: message.opcode, data: message.data)
            } else {
                partial = message
            }
        default:
            protocolError(context)
        }
    }

    private func received(_ context: ChannelHandlerContext, opcode: WebSocketOpcode, data: ByteBuffer) {
        guard let session, !closeSent else { return }
        let packet: EngineIOInboundPacket?
        if opcode == .text {
            guard let text = String(validating: data.readableBytesView, as: UTF8.self) else {
                reason = .transportError
                endSession()
                sendClose(context, code: .dataInconsistentWithMessage, reason: "Invalid UTF-8")
                return
            }
            packet = EngineIOInboundPacket(text: Substring(text))
        } else {
            packet = .message(.binary(data))
        }
        if probing {
            // Before the upgrade completes only the probe and the upgrade packet are valid.
            switch packet {
            case .some(.ping("probe")) where session.beginProbe():
                var answer = context.channel.allocator.buffer(capacity: 6)
                answer.writeString("3probe")
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: answer)), promise: nil)
            case .some(.upgrade) where session.completeUpgrade():
                probing = false
                timer?.cancel()
                timer = nil
                attach(context, session)
            default:
                session.abortUpgrade()
                probing = false
                sendClose(context, code: .normalClosure)
            }
            return
        }
        guard let packet else {
            session.close(reason: .parseError, notifyClient: false)
            return
        }
        let pump: EngineIOInboundPump
        if let existing = self.pump {
            pump = existing
        } else {
            // Made with the first message, not with the socket: an idle socket does not need one.
            let channel = context.channel
            pump = EngineIOInboundPump(session: session) { pump in
                channel.eventLoop.execute {
                    // Filled and paused again since the resume was asked for: reading stays off.
                    guard !pump.isPaused else { return }
                    try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
                }
            }
            self.pump = pump
        }
        if pump.push(packet) {
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
    }

    private func tooLarge(_ context: ChannelHandlerContext) {
        partial = nil
        reason = .transportError
        endSession()
        sendClose(context, code: .messageTooLarge, reason: "Max payload size exceeded")
    }

    private func protocolError(_ context: ChannelHandlerContext) {
        partial = nil
        reason = .transportError
        endSession()
        sendClose(context, code: .protocolError)
    }

    /// The WebSocket is going away: the session ends with it (or, while upgrading, stays on polling).
    private func endSession() {
        pump?.finish()
        guard let session else { return }
        if probing {
            probing = false
            session.abortUpgrade()
        } else if attached, session.transport == .websocket {
            session.close(reason: reason, notifyClient: false)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        endSession()
        if attached, let session, session.transport == .websocket {
            _ = session.takeForSink()
            session.webSocketTransportEnded()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reason = .transportError
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            // The client half-closed without a close frame: what it sent before is still handled, then the connection
            // (and with it the session) ends.
            let channel = context.channel
            if let pump {
                pump.whenDrained { channel.eventLoop.execute { channel.close(promise: nil) } }
            } else {
                context.close(promise: nil)
            }
            return
        }
        if event is ChannelShouldQuiesceEvent {
            // The HTTP server is shutting down: the session ends, its client told with a close frame.
            if attached, let session {
                session.close(reason: .serverShutdown)
            } else {
                endSession()
                sendClose(context, code: .goingAway)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
