import Hummingbird
import NIOCore

/// A polling answer, independent of the HTTP framework that writes it.
struct EngineIOHTTPResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    static func error(_ code: EngineIOErrorCode, headers: HTTPFields = [:]) -> EngineIOHTTPResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return EngineIOHTTPResponse(status: .init(code: code.httpStatus), headers: headers, body: ByteBuffer(string: code.body))
    }

    static func text(_ body: ByteBuffer, headers: HTTPFields, contentType: String = "text/plain; charset=UTF-8") -> EngineIOHTTPResponse {
        var headers = headers
        headers[.contentType] = contentType
        return EngineIOHTTPResponse(status: .ok, headers: headers, body: body)
    }
}
