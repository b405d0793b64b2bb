import Foundation
import NIOCore
import SocketIO

/// Emits real-time events to this node's sockets and relays them over the bus to the other nodes, which emit them to
/// theirs. `message:new` is not relayed: messages reach other nodes through the database (``MessageSequencer``).
struct ClusterBroadcaster: RealtimeBroadcaster {
    let local: any RealtimeBroadcaster
    let node: ClusterNode

    func emit(_ event: String, _ payload: JSONValue, toUsers userIDs: [Int64], exceptSocket: String?) async {
        await local.emit(event, payload, toUsers: userIDs, exceptSocket: exceptSocket)
        guard event != RealtimeEvent.messageNew, !userIDs.isEmpty else { return }
        var buffer = ByteBuffer()
        var attachments: [ByteBuffer] = []
        payload.write(into: &buffer, attachments: &attachments)
        // Binary attachments never occur in ChatOne's own events; an event with one stays on this node.
        guard attachments.isEmpty else { return }
        await node.publish(
            ClusterMessage(kind: .event, node: node.nodeID, event: event, users: userIDs, exceptSocket: exceptSocket, payload: String(buffer: buffer)))
    }
}
