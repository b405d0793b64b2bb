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
            throw error.validationError
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
}
