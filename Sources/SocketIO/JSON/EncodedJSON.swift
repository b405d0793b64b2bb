public import Foundation
public import NIOCore

/// One JSON value already serialized, written into packets byte for byte.
///
/// Encoding a payload once and sending the same bytes in many packets (an event broadcast to many sockets, the
/// same object in an acknowledgement) saves building and walking a ``JSONValue`` tree per packet.
///
/// The text may be held in pieces (``init(trustingPieces:)``): values that differ only in a few bytes (one
/// object per viewer that differs in one field) then share their common pieces instead of each holding a copy;
/// the pieces are joined only when a packet is written.
public struct EncodedJSON: Sendable, Hashable {
    /// The first piece of the text (the whole text when it is in one piece).
    private let first: ByteBuffer
    /// The other pieces, in order; empty (no allocation) for a text in one piece.
    private let rest: [ByteBuffer]

    /// Encodes `value` with `encoder`.
    public init(encoding value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws {
        self.first = ByteBuffer(bytes: try encoder.encode(value))
        self.rest = []
    }

    /// Wraps bytes the caller vouches for: one complete, valid JSON value. Nothing checks them, since checking
    /// would cost what this type exists to save.
    public init(trusting bytes: ByteBuffer) {
        self.first = bytes
        self.rest = []
    }

    /// Wraps pieces the caller vouches for: joined in order they are one complete, valid JSON value. The pieces are
    /// kept as they are (a `ByteBuffer` is a reference to its storage), so pieces shared by many values are stored once.
    public init(trustingPieces pieces: [ByteBuffer]) {
        self.first = pieces.first ?? ByteBuffer()
        self.rest = Array(pieces.dropFirst())
    }

    /// The pieces the text is held in, in order (one for a text in one piece). Pieces shared by several values share
    /// their storage, so a relay can send each shared piece once.
    public var pieces: [ByteBuffer] { rest.isEmpty ? [first] : [first] + rest }

    /// The JSON text in one buffer (joins the pieces when there are several).
    public var bytes: ByteBuffer {
        guard !rest.isEmpty else { return first }
        var joined = ByteBuffer()
        joined.reserveCapacity(byteCount)
        write(into: &joined)
        return joined
    }

    /// The length of the JSON text in bytes.
    public var byteCount: Int { rest.reduce(first.readableBytes) { $0 + $1.readableBytes } }

    /// Appends the JSON text to `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeImmutableBuffer(first)
        for piece in rest { buffer.writeImmutableBuffer(piece) }
    }

    /// The value as a tree (parses the bytes; for tests and the rare reader).
    public var value: JSONValue? {
        bytes.withUnsafeReadableBytes { raw in try? JSONParser.parse(raw) }
    }

    /// Equal when the texts are equal, however they are split.
    public static func == (lhs: EncodedJSON, rhs: EncodedJSON) -> Bool {
        lhs.rest.isEmpty && rhs.rest.isEmpty ? lhs.first == rhs.first : lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }
}
