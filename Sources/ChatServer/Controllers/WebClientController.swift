import ChatCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The built-in web chat client: `GET /` is its page, `GET /web/{file}` its scripts and styles, all plain files
/// kept in the repository (Sources/ChatServer/Resources/web) and served as they are, from memory.
///
/// Every file has a strong `ETag` (a hash of its bytes) and `Cache-Control: no-cache`: a browser keeps its copy but
/// asks each time, and gets `304 Not Modified` until a new server ships new files, so an upgrade is never hidden
/// behind a stale cache. The page carries a Content-Security-Policy that allows only this origin's scripts,
/// styles and connections (REST and the Socket.IO WebSocket).
struct WebClientController {
    struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// File name → asset; only these names are served, so no path can reach anything else.
    let assets: [String: Asset]

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "json": "application/json; charset=utf-8",
    ]

    /// The page's policy: nothing from elsewhere, no inline script, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    init() throws {
        guard let folder = Bundle.module.url(forResource: "web", withExtension: nil) else { throw CocoaError(.fileNoSuchFile) }
        var assets: [String: Asset] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let ext = (name as NSString).pathExtension.lowercased()
            guard let type = Self.contentTypes[ext] else { continue }
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            assets[name] = Asset(body: ByteBuffer(bytes: data), contentType: type, etag: Self.etag(of: data))
        }
        self.assets = assets
    }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get("/", use: page)
            .get("web/{file}", use: file)
    }

    @Sendable func page(_ request: Request, context: ChatRequestContext) async throws -> Response {
        guard let asset = assets["index.html"] else { throw ChatError.notFound("no such file") }
        var response = serve(asset, request: request)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    @Sendable func file(_ request: Request, context: ChatRequestContext) async throws -> Response {
        guard let name = context.parameters.get("file"), name != "index.html", let asset = assets[name] else {
            throw ChatError.notFound("no such file")
        }
        return serve(asset, request: request)
    }

    private func serve(_ asset: Asset, request: Request) -> Response {
        var headers: HTTPFields = [.eTag: asset.etag, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    /// A strong validator: 64-bit FNV-1a of the bytes and their length. It only has to change when a file does.
    static func etag(of data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "\"\(String(hash, radix: 16))-\(String(data.count, radix: 16))\""
    }
}
