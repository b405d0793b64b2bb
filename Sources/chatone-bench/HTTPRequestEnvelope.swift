import NIOCore
import NIOHTTP1

/// What `HTTPConnection` writes into its channel: one whole request and the promise its response completes.
struct HTTPRequestEnvelope: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<HTTPResponse>
}
