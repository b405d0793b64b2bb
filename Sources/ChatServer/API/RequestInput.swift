import ChatCore
import Foundation
import Hummingbird

/// Reading client input, turning every malformed piece into a `VALIDATION_ERROR` naming the field.
extension Request {
    /// Decodes a JSON body of at most the context's upload limit.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: ChatRequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw ChatError.validation("request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw Self.validationError(error)
        }
    }

    /// An optional integer query parameter.
    func queryInt(_ name: String) throws -> Int? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text) else { throw ChatError.validation("\(name) must be an integer", field: name) }
        return value
    }

    /// An optional string query parameter; an empty value counts as absent.
    func queryString(_ name: String) -> String? {
        guard let text = uri.queryParameters.get(name), !text.isEmpty else { return nil }
        return text
    }

    private static func validationError(_ error: DecodingError) -> ChatError {
        switch error {
        case .keyNotFound(let key, let context):
            let field = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return .validation("\(field) is required", field: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? .validation("request body has the wrong shape") : .validation("\(field) has the wrong type", field: field)
        case .dataCorrupted(let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? .validation("request body is not valid JSON") : .validation("\(field) is invalid", field: field)
        @unknown default:
            return .validation("request body is invalid")
        }
    }
}
