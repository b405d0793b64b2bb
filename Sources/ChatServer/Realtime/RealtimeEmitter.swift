import ChatCore
import Logging
import SocketIO
import Synchronization

/// Encodes server → client events with the API's JSON conventions and hands them to the broadcaster once one is
/// attached. Until then (REST-only use, or before the socket server exists) events go nowhere, which is right:
/// there is nobody to hear them.
final class RealtimeEmitter: Sendable {
    private let broadcaster = Mutex<(any RealtimeBroadcaster)?>(nil)
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func attach(_ broadcaster: any RealtimeBroadcaster) {
        self.broadcaster.withLock { $0 = broadcaster }
    }

    /// Encodes `payload` once (straight to JSON bytes, no intermediate tree) and sends it to every socket of `userIDs`.
    func emit(_ event: String, _ payload: some Encodable & Sendable, toUsers userIDs: [Int64], exceptSocket: String? = nil) async {
        guard !userIDs.isEmpty, broadcaster.withLock({ $0 }) != nil else { return }
        let encoded: EncodedJSON
        do {
            encoded = try EncodedJSON(encoding: payload, encoder: APICoding.encoder())
        } catch {
            logger.error("cannot encode a real-time event", metadata: ["event": "\(event)", "error": "\(String(reflecting: error))"])
            return
        }
        await emit(event, encoded: encoded, toUsers: userIDs, exceptSocket: exceptSocket)
    }

    /// The event of a change to a stored message, to every socket of `userIDs` (the changing one included).
    func emit(_ change: MessageChange, toUsers userIDs: [Int64]) async {
        switch change.kind {
        case .updated: await emit(RealtimeEvent.messageUpdated, APIMessage(change.message), toUsers: userIDs)
        case .deleted: await emit(RealtimeEvent.messageDeleted, APIMessage(change.message), toUsers: userIDs)
        case .reactions: await emit(RealtimeEvent.messageReactions, APIMessageReactions(change.message), toUsers: userIDs)
        }
    }

    /// The event to each user with their own encoded payload, in order, as one step for the broadcaster.
    func emit(_ event: String, each payloads: [(userID: Int64, payload: EncodedJSON)]) async {
        guard !payloads.isEmpty, let broadcaster = broadcaster.withLock({ $0 }) else { return }
        await broadcaster.emit(event, each: payloads.map { (userID: $0.userID, payload: .encoded($0.payload)) })
    }

    /// Sends a payload encoded already (a message's bytes, shared with its sender's ack).
    func emit(_ event: String, encoded: EncodedJSON, toUsers userIDs: [Int64], exceptSocket: String? = nil) async {
        guard !userIDs.isEmpty, let broadcaster = broadcaster.withLock({ $0 }) else { return }
        await broadcaster.emit(event, .encoded(encoded), toUsers: userIDs, exceptSocket: exceptSocket)
    }
}
