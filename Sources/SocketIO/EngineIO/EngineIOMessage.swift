public import NIOCore

/// An application message carried by Engine.IO: text or binary.
public enum EngineIOMessage: Sendable, Hashable {
    case text(String)
    case binary(ByteBuffer)
}
