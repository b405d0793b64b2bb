import Hummingbird
import NIOCore
import NIOHTTP1

extension EngineIOHTTPChannel {
    /// Turns the answer to a refused upgrade (always an empty 400) into the Engine.IO
    /// refusal the endpoint chose: 503 `{"code":6,…}` when too many sessions are pending, or the handshake
    /// filter's status with `Retry-After`.
    ///
    /// `EngineIOServer.webSocketUpgrade(_:channel:)` runs on the channel's event loop; it finds this handler
    /// in the pipeline and leaves the refusal here before answering `.dontUpgrade`. The 400 head and end
    /// then pass through here (behind the upgrade handler, they are NIO's HTTP/1 parts) and are replaced.
    ///
    /// When the connection becomes a WebSocket it removes itself, before any frame passes.
    ///
    /// Used only on the channel's event loop, hence not `Sendable`.
    final class UpgradeRefusal: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // Passed on before leaving: a removed handler's context no longer reaches the next handlers.
            context.fireUserInboundEventTriggered(event)
            if case .upgradeComplete = event as? HTTPServerUpgradeEvents {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }

        /// The answer to write instead of the next response.
        var refusal: EngineIOHTTPResponse?
        private var replacing: EngineIOHTTPResponse?

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(let head):
                guard let refusal else { break }
                self.refusal = nil
                replacing = refusal
                var headers = HTTPHeaders()
                for field in refusal.headers { headers.add(name: field.name.rawName, value: field.value) }
                headers.replaceOrAdd(name: "Content-Length", value: String(refusal.body.readableBytes))
                headers.replaceOrAdd(name: "Connection", value: "close")
                let replaced = HTTPResponseHead(
                    version: head.version,
                    status: .init(statusCode: refusal.status.code),
                    headers: headers
                )
                context.write(wrapOutboundOut(.head(replaced)), promise: promise)
                return
            case .body:
                // The bare 400 has no body; drop anything else meant for the replaced response.
                if replacing != nil {
                    promise?.succeed()
                    return
                }
            case .end:
                if let replaced = replacing {
                    replacing = nil
                    context.write(wrapOutboundOut(.body(.byteBuffer(replaced.body))), promise: nil)
                }
            }
            context.write(data, promise: promise)
        }
    }
}
