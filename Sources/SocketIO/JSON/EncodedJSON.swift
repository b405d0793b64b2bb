public import Foundation
public import NIOCore

/// One JSON value already serialized, written into packets byte for byte.
///
/// Encoding a payload once and sending the same bytes in many packets (an event broadcast to many sockets, the
/// same object in an acknowledgement) saves building and walking a ``JSONValue`` tree per packet.
public struct EncodedJSON: Sendable, Hashable {
    /// The JSON text: exactly one value, without binary attachments.
    public let bytes: ByteBuffer

    /// Encodes `value` with `encoder`.
    public init(encoding value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws {
        self.bytes = ByteBuffer(bytes: try encoder.encode(value))
    }

    /// Wraps bytes the caller vouches for: one complete, valid JSON value. Nothing checks them, since checking
    /// would cost what this type exists to save.
    public init(trusting bytes: ByteBuffer) {
        self.bytes = bytes
    }

    /// The value as a tree (parses the bytes; for tests and the rare reader).
    public var value: JSONValue? {
        bytes.withUnsafeReadableBytes { raw in try? JSONParser.parse(raw) }
    }
}
