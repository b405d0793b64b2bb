public import NIOCore

/// Writes one JSON object into a buffer, field by field, in the order the caller gives.
///
/// For payloads sent many times a second (a new message), where `JSONEncoder` and its keyed containers, boxes
/// and key sorting cost more than the socket work around them. The caller writes the keys in the order it wants
/// them in the text (sorted, to match the rest of the API's output). Strings are escaped as ``JSONValue`` writes
/// them; keys are written as they are, so they must be plain ASCII needing no escape (they are the caller's
/// literals).
///
/// ```swift
/// var object = JSONObjectWriter()
/// object.field("id", string: "42")
/// object.field("seq", integer: 7)
/// let bytes = object.finish()   // {"id":"42","seq":7}
/// ```
public struct JSONObjectWriter {
    private var buffer: ByteBuffer
    private var isEmpty = true

    /// Starts an object in a buffer of `capacity` bytes (grown as needed).
    public init(capacity: Int = 256) {
        buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    /// A string field; `nil` is written as `null`.
    public mutating func field(_ key: StaticString, string value: String?) {
        self.key(key)
        if let value { JSONValue.writeString(value, into: &buffer) } else { buffer.writeStaticString("null") }
    }

    /// An integer field; `nil` is written as `null`.
    public mutating func field(_ key: StaticString, integer value: Int64?) {
        self.key(key)
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("null") }
    }

    /// An array of strings.
    public mutating func field(_ key: StaticString, strings values: [String]) {
        self.key(key)
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            JSONValue.writeString(value, into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// An array of objects, each written by `write` from one element.
    public mutating func field<Element>(_ key: StaticString, objects elements: [Element], _ write: (Element, inout JSONObjectWriter) -> Void) {
        self.key(key)
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            var object = JSONObjectWriter(capacity: 64)
            write(element, &object)
            var written = object.finish()
            buffer.writeBuffer(&written)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// A field whose value the caller writes as JSON text it vouches for (a number, a timestamp string).
    public mutating func field(_ key: StaticString, writingValue write: (inout ByteBuffer) -> Void) {
        self.key(key)
        write(&buffer)
    }

    /// Closes the object and returns its text.
    public consuming func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    private mutating func key(_ key: StaticString) {
        if isEmpty { isEmpty = false } else { buffer.writeInteger(UInt8(ascii: ",")) }
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(key)
        buffer.writeStaticString("\":")
    }
}
