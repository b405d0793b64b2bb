import ChatCore
import Foundation
import Hummingbird
import NIOCore

/// Hummingbird's `RequestDecoder` for ChatOne: JSON bodies up to the context's limit, every failure a
/// `VALIDATION_ERROR` naming the field (or `PAYLOAD_TOO_LARGE`), never a framework error page.
public struct APIRequestDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw ChatError.payloadTooLarge(limitBytes: context.maxUploadSize)
        }
        guard buffer.readableBytes > 0 else { throw ChatError.validation("request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: buffer)
        } catch let error as DecodingError {
            throw error.validationError
        }
    }
}
