/// One block: `blockerID` blocked `blockedID`.
public struct BlockPair: Sendable, Hashable {
    public var blockerID: Int64
    public var blockedID: Int64

    public init(blockerID: Int64, blockedID: Int64) {
        self.blockerID = blockerID
        self.blockedID = blockedID
    }

    /// Whether the pair is these two users, in either direction.
    public func involves(_ a: Int64, _ b: Int64) -> Bool {
        (blockerID == a && blockedID == b) || (blockerID == b && blockedID == a)
    }
}
