import SocketIO

/// Delivers real-time events to users through their rooms on the Socket.IO namespace.
struct SocketIOBroadcaster: RealtimeBroadcaster {
    let namespace: SocketIONamespace
    let metrics: ServerMetrics

    func emit(_ event: String, _ payload: JSONValue, toUsers userIDs: [Int64], exceptSocket: String?) async {
        // An empty room set would mean "everyone" to the adapter; nobody is the right reading here.
        guard !userIDs.isEmpty else { return }
        var target = namespace.to().to(rooms: userIDs.map(ChatSocketGateway.room(of:)))
        if let exceptSocket { target = target.except(exceptSocket) }
        await target.emit(event, arguments: [payload])
        metrics.eventEmitted(event)
    }
}
