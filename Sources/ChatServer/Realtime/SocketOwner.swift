import ChatCore
import SocketIO

/// Whose a socket is, kept as the socket's `data` so that it survives the socket dropping: connection state recovery
/// gives a dropped socket's state back only to the same user's same login.
struct SocketOwner: Equatable {
    let userID: Int64
    let sessionID: Int64

    init(_ identity: AccessTokenIdentity) {
        self.userID = identity.userID
        self.sessionID = identity.sessionID
    }

    /// Reads it back from a socket's data; nil when the data is not one.
    init?(_ data: JSONValue) {
        guard let user = data["userId"]?.stringValue.flatMap({ Int64($0) }), let session = data["sessionId"]?.stringValue.flatMap({ Int64($0) })
        else { return nil }
        self.userID = user
        self.sessionID = session
    }

    var json: JSONValue { ["userId": .string(String(userID)), "sessionId": .string(String(sessionID))] }
}
