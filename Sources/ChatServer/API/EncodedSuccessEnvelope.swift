import Hummingbird
import NIOCore
import SocketIO

/// ``SuccessEnvelope`` around data encoded already (a group as its member sees it, shared with the change's events):
/// the same bytes ``APIResponseEncoder`` would write, `{"data":…,"success":true}` (keys sorted), without encoding
/// the data again.
struct EncodedSuccessEnvelope: ResponseGenerator, Sendable {
    var data: EncodedJSON
    var status: HTTPResponse.Status = .ok

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = bytes
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body))
    }

    /// The envelope's JSON text.
    var bytes: ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(data.byteCount + 32)
        body.writeStaticString(#"{"data":"#)
        data.write(into: &body)
        body.writeStaticString(#","success":true}"#)
        return body
    }
}
