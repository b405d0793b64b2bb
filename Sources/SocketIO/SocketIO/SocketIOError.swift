/// Errors thrown by the Socket.IO API.
public enum SocketIOError: Error, Sendable, Hashable {
    /// The client did not acknowledge within the timeout.
    case ackTimeout
    /// The socket disconnected before the operation completed.
    case disconnected
    /// Text was not valid JSON.
    case invalidJSON
    /// An event argument was missing where one was expected.
    case missingArgument(index: Int)
}
