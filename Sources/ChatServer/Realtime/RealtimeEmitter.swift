import ChatCore
import Logging
import SocketIO
import Synchronization

/// Encodes server → client events with the API's JSON conventions and hands them to the broadcaster once one is
/// attached. Until then (REST-only use, or before the socket server exists) events go nowhere, which is right:
/// there is nobody to hear them.
final class RealtimeEmitter: Sendable {
    private let broadcaster = Mutex<(any RealtimeBroadcaster)?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func attach(_ broadcaster: any RealtimeBroadcaster) {
        self.broadcaster.withLock { $0 = broadcaster }
    }

    func emit(_ event: String, _ payload: some Encodable & Sendable, toUsers userIDs: [Int64], exceptSocket: String? = nil) async {
        guard !userIDs.isEmpty, let broadcaster = broadcaster.withLock({ $0 }) else { return }
        let value: JSONValue
        do {
            value = try JSONValue(encoding: payload, encoder: APICoding.encoder())
        } catch {
            logger.error("cannot encode a real-time event", metadata: ["event": "\(event)", "error": "\(String(reflecting: error))"])
            return
        }
        await broadcaster.emit(event, value, toUsers: userIDs, exceptSocket: exceptSocket)
    }
}
