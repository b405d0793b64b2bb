import NIOCore
import NIOHTTP1

/// Turns whole requests into HTTP parts and collects response parts into `HTTPResponse`s.
/// HTTP/1.1 without pipelining surprises: responses arrive in request order, so a FIFO of promises suffices.
/// Lives on one event loop; NIO calls it only from there.
final class HTTPResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPRequestEnvelope
    typealias OutboundOut = HTTPClientRequestPart

    private var pending = CircularBuffer<EventLoopPromise<HTTPResponse>>()
    private var status = 0
    private var retryAfter: Int?
    private var body: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.promise)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            retryAfter = head.headers.first(name: "Retry-After").flatMap { Int($0) }
            body.removeAll(keepingCapacity: true)
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            if let promise = pending.popFirst() { promise.succeed(HTTPResponse(status: status, body: body, retryAfter: retryAfter)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        while let promise = pending.popFirst() { promise.fail(BenchError.unexpected("HTTP connection closed")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        while let promise = pending.popFirst() { promise.fail(error) }
        context.close(promise: nil)
    }
}
