import Foundation

/// A complete HTTP response as the bench sees it: status and body bytes.
struct HTTPResponse: Sendable {
    var status: Int
    var body: [UInt8]
    /// The `Retry-After` header in seconds, when present.
    var retryAfter: Int? = nil

    /// The body as a JSON object; setup code only, never on a measured path.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw BenchError.unexpected("response is not a JSON object: \(text)")
        }
        return object
    }

    /// `data` of the success envelope, or a thrown error that carries status and body.
    func data() throws -> [String: Any] {
        guard (200..<300).contains(status), let data = try json()["data"] as? [String: Any] else {
            throw BenchError.unexpected("HTTP \(status): \(text.prefix(300))")
        }
        return data
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}
