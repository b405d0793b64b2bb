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

    /// One multi-target emit: recorded for recovery in one store call and delivered in one turn of the namespace's
    /// ordered section, instead of one of each per user (a change to a 500-member group is 500 of these).
    func emit(_ event: String, each payloads: [(userID: Int64, payload: JSONValue)]) async {
        guard !payloads.isEmpty else { return }
        await namespace.emit(event, each: payloads.map { SocketIOEmission(rooms: [ChatSocketGateway.room(of: $0.userID)], arguments: [$0.payload]) })
        metrics.eventEmitted(event, count: payloads.count)
    }
}
