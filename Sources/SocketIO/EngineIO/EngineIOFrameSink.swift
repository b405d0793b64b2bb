/// The push side of a session's WebSocket transport: told when frames are queued, it takes them
/// (`EngineIOSocket.takeForSink()`) on its own event loop and writes them.
///
/// A session wakes its sink once per burst: until the sink has taken the queue, further frames are only queued.
/// An idle WebSocket session therefore needs no task and no continuation, only this object.
protocol EngineIOFrameSink: AnyObject, Sendable {
    /// Frames were queued, or the session closed. Called outside the session's lock, from any thread.
    func framesQueued()
}
