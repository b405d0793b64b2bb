import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to the server. The bench needs a few REST calls and honest
/// latencies, not a general client, so this is all there is (AsyncHTTPClient would add a clean-build dependency).
/// Requests may be issued from several tasks; they queue on the one connection.
final class HTTPConnection: Sendable {
    let channel: any Channel
    let host: String

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        return HTTPConnection(channel: channel, host: host)
    }

    /// Sends one request; `json` is the body, sent as application/json.
    func request(_ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil) async throws -> HTTPResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host)
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        var body: ByteBuffer?
        if let json {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(json.utf8.count))
            body = ByteBuffer(string: json)
        } else if method != .GET {
            head.headers.add(name: "Content-Length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: HTTPResponse.self)
        // A write that never reaches the handler (the channel closed) must still answer the caller.
        channel.writeAndFlush(HTTPRequestEnvelope(head: head, body: body, promise: promise)).whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}
