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

    /// The answer to a handshake the server or the application's filter refused.
    static func refusal(_ code: EngineIOErrorCode, status: Int? = nil, retryAfter: Int? = nil, headers: HTTPFields = [:]) -> EngineIOHTTPResponse {
        var response = error(code, headers: headers)
        if let status { response.status = .init(code: status) }
        if let retryAfter { response.headers[.retryAfter] = String(max(0, retryAfter)) }
        return response
    }

    static func text(_ body: ByteBuffer, headers: HTTPFields, contentType: String = "text/plain; charset=UTF-8") -> EngineIOHTTPResponse {
        var headers = headers
        headers[.contentType] = contentType
        return EngineIOHTTPResponse(status: .ok, headers: headers, body: body)
    }
}
