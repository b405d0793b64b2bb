import Foundation
import NIOCore
import SocketIO

/// Emits real-time events to this node's sockets and relays them over the bus to the other nodes, which emit them to
/// theirs. `message:new` is not relayed: messages reach other nodes through the database (``MessageSequencer``).
/// Conversation events get a cluster-wide id, and every node emits them between its batches of messages, logged
/// for connection state recovery (``ClusterRecoveryStore``).
struct ClusterBroadcaster: RealtimeBroadcaster {
    let local: any RealtimeBroadcaster
    let node: ClusterNode

    /// The events a client recovering on another node gets again: conversation history, not state.
    static let loggedEvents: Set<String> = [RealtimeEvent.conversationNew, RealtimeEvent.conversationUpdate, RealtimeEvent.conversationRemoved]

    func emit(_ event: String, _ payload: JSONValue, toUsers userIDs: [Int64], exceptSocket: String?) async {
        guard event != RealtimeEvent.messageNew, !userIDs.isEmpty else {
            return await local.emit(event, payload, toUsers: userIDs, exceptSocket: exceptSocket)
        }
        var buffer = ByteBuffer()
        var attachments: [ByteBuffer] = []
        payload.write(into: &buffer, attachments: &attachments)
        // Binary attachments never occur in ChatOne's own events; an event with one stays on this node.
        guard attachments.isEmpty else { return await local.emit(event, payload, toUsers: userIDs, exceptSocket: exceptSocket) }
        let eventID = Self.loggedEvents.contains(event) ? node.newEventID() : nil
        let local = local
        if let eventID {
            await node.emitLogged(eventID) { await local.emit(event, payload, toUsers: userIDs, exceptSocket: exceptSocket) }
        } else {
            await local.emit(event, payload, toUsers: userIDs, exceptSocket: exceptSocket)
        }
        await node.publish(
            ClusterMessage(
                kind: .event, node: node.nodeID, event: event, users: userIDs, exceptSocket: exceptSocket, payload: String(buffer: buffer),
                eventID: eventID))
    }

    /// Each user's own payload (a conversation as each member sees it): one logged emit here and one notification
    /// for the other nodes, carrying the text the payloads share once.
    func emit(_ event: String, each payloads: [(userID: Int64, payload: JSONValue)]) async {
        guard !payloads.isEmpty else { return }
        var encoded: [(userID: Int64, payload: EncodedJSON)] = []
        encoded.reserveCapacity(payloads.count)
        for (userID, payload) in payloads {
            // ChatOne's per-user events are always encoded already; anything else goes user by user.
            guard case .encoded(let json) = payload else {
                for (userID, payload) in payloads { await emit(event, payload, toUsers: [userID], exceptSocket: nil) }
                return
            }
            encoded.append((userID, json))
        }
        let eventID = Self.loggedEvents.contains(event) ? node.newEventID() : nil
        let local = local
        if let eventID {
            await node.emitLogged(eventID) { await local.emit(event, each: payloads) }
        } else {
            await local.emit(event, each: payloads)
        }
        await node.publish(ClusterMessage(kind: .eachEvent, node: node.nodeID, event: event, eventID: eventID, shared: SharedPayloads(encoded)))
    }
}
