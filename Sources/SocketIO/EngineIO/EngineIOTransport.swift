/// The transport an Engine.IO session currently uses.
public enum EngineIOTransport: String, Sendable, Hashable {
    case polling
    case websocket
}
