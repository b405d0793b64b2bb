/// Receives what happens on one Engine.IO session.
///
/// Calls for one session are made one at a time, in order. `didReceive` is awaited before the next
/// inbound packet is read, so it should hand long work off rather than block.
public protocol EngineIOSocketDelegate: Sendable {
    /// A message arrived from the client.
    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) async
    /// The session ended; no more messages will arrive and sends are ignored.
    func engineSocket(_ socket: EngineIOSocket, didCloseWith reason: EngineIOCloseReason) async
}
