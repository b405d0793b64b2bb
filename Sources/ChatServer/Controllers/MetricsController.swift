import Hummingbird
import NIOCore
import SocketIO

/// `GET /metrics`: the Prometheus text format (version 0.0.4), on the API's listener or on its own address
/// (`CHATONE_METRICS_ADDRESS`). No authentication: keep it off the public internet with the separate address or
/// the proxy in front (docs/operations.md).
struct MetricsController<Context: RequestContext> {
    let metrics: ServerMetrics
    let services: ChatServices
    let io: SocketIOServer?

    var routes: RouteCollection<Context> {
        RouteCollection(context: Context.self).get("metrics", use: scrape)
    }

    @Sendable func scrape(_ request: Request, context: Context) async throws -> Response {
        let sample = ServerMetrics.Sample(
            socketsConnected: io?.sockets.sockets.count ?? 0, engineSessions: io?.connectionCount ?? 0,
            bcryptQueueDepth: services.bcryptQueueDepth())
        let bytes = metrics.exposition(sample)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
