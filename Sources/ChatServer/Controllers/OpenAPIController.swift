import Foundation
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the REST API, kept in the repository next to the code
/// (Sources/ChatServer/Resources/openapi.json) and served as it is.
struct OpenAPIController {
    /// The document's bytes, read once at start-up.
    let document: ByteBuffer

    init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile)
        }
        document = ByteBuffer(bytes: try Data(contentsOf: url))
    }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get("openapi.json", use: serve)
    }

    @Sendable func serve(_ request: Request, context: ChatRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: document))
    }
}
