/// Thrown by connection middleware to refuse a connection.
///
/// The client receives CONNECT_ERROR `{"message": message, "data": data}` (`data` omitted when `nil`),
/// which Socket.IO clients surface as a `connect_error` with that message and data.
public struct SocketIOConnectError: Error, Sendable, Hashable {
    public var message: String
    public var data: JSONValue?

    public init(_ message: String, data: JSONValue? = nil) {
        self.message = message
        self.data = data
    }

    var payload: JSONValue {
        var object: [String: JSONValue] = ["message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}
