import Foundation
import ChatCore
import Hummingbird

/// Typed query parameters: a route declares a `Decodable` struct and gets it, or a `VALIDATION_ERROR` naming
/// the parameter. An empty value (`?cursor=`) counts as absent.
extension Request {
    func query<T: Decodable>(_ type: T.Type) throws -> T {
        // Only non-empty values, and only the first of a repeated name, so `?limit=&limit=5` cannot confuse the decoder.
        var seen = Set<String>()
        var parts: [String] = []
        for (name, value) in uri.queryParameters where !value.isEmpty {
            let name = String(name)
            guard seen.insert(name).inserted else { continue }
            parts.append("\(Self.formEncode(name))=\(Self.formEncode(String(value)))")
        }
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: parts.joined(separator: "&"))
        } catch let error as DecodingError {
            throw error.validationError(subject: "query parameter")
        } catch {
            throw ChatError.validation("query string is malformed")
        }
    }

    private static func formEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
