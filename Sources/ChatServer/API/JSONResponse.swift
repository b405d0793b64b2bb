import ChatCore
import Foundation
import Hummingbird
import NIOCore

/// Builds envelope responses with the API's JSON conventions.
enum JSONResponse {
    static func success(_ data: some Encodable & Sendable, status: HTTPResponse.Status = .ok) throws -> Response {
        try make(SuccessEnvelope(data: data, page: nil), status: status)
    }

    static func list<Item: Encodable & Sendable>(_ items: [Item], hasMore: Bool, nextCursor: String?) throws -> Response {
        try make(SuccessEnvelope(data: items, page: PageInfo(hasMore: hasMore, nextCursor: nextCursor)), status: .ok)
    }

    static func failure(_ error: ChatError, status: HTTPResponse.Status) -> Response {
        // Encoding a fixed shape of strings cannot fail; the fallback only exists to avoid a trap.
        let body = (try? APICoding.encoder().encode(ErrorEnvelope(error))) ?? Data(#"{"success":false}"#.utf8)
        var response = Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        if case .rateLimited(let seconds) = error { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    private static func make(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let body = try APICoding.encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
