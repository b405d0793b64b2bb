/// What a test waited for with ``BoundedWait`` did not end in time.
public struct BoundedWaitExpired: Error, CustomStringConvertible {
    public var what: String
    public var limit: Duration

    public var description: String { "\(what) did not end within \(limit)" }
}
