import Synchronization

/// The in-process adapter: rooms in memory, broadcasts delivered to this node's sockets.
///
/// Room state is shared by every connection of the namespace, so it sits behind a `Mutex` with
/// short critical sections rather than in an actor: joins and broadcasts from many connections then
/// never queue behind one executor, and a broadcast needs no suspension at all.
public final class SocketIOMemoryAdapter: SocketIOAdapter {
    private weak let namespace: SocketIONamespace?
    private let state = Mutex(State())

    private struct State {
        var rooms: [String: Set<String>] = [:]
        var socketRooms: [String: Set<String>] = [:]
    }

    public init(namespace: SocketIONamespace) {
        self.namespace = namespace
    }

    public func join(socketID: String, rooms: Set<String>) async {
        joinNow(socketID: socketID, rooms: rooms)
    }

    func joinNow(socketID: String, rooms: Set<String>) {
        state.withLock { state in
            state.socketRooms[socketID, default: []].formUnion(rooms)
            for room in rooms { state.rooms[room, default: []].insert(socketID) }
        }
    }

    public func leave(socketID: String, room: String) async {
        state.withLock { state in
            state.socketRooms[socketID]?.remove(room)
            state.rooms[room]?.remove(socketID)
            if state.rooms[room]?.isEmpty == true { state.rooms[room] = nil }
        }
    }

    public func leaveAll(socketID: String) async {
        state.withLock { state in
            guard let rooms = state.socketRooms.removeValue(forKey: socketID) else { return }
            for room in rooms {
                state.rooms[room]?.remove(socketID)
                if state.rooms[room]?.isEmpty == true { state.rooms[room] = nil }
            }
        }
    }

    public func rooms(of socketID: String) async -> Set<String> {
        state.withLock { $0.socketRooms[socketID] ?? [] }
    }

    public func socketIDs(matching options: SocketIOBroadcastOptions) async -> Set<String> {
        matchingNow(options)
    }

    func matchingNow(_ options: SocketIOBroadcastOptions) -> Set<String> {
        state.withLock { state in
            var excluded = Set<String>()
            for room in options.except {
                if let members = state.rooms[room] { excluded.formUnion(members) }
            }
            var result = Set<String>()
            if options.rooms.isEmpty {
                for socketID in state.socketRooms.keys where !excluded.contains(socketID) { result.insert(socketID) }
            } else {
                for room in options.rooms {
                    guard let members = state.rooms[room] else { continue }
                    for socketID in members where !excluded.contains(socketID) { result.insert(socketID) }
                }
            }
            return result
        }
    }

    public func broadcast(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions) async {
        guard let namespace else { return }
        namespace.deliver(packet, to: matchingNow(options), options: options)
    }
}
