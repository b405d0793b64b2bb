/// A connection-state-recovery offset as ChatOne's cluster writes it: `instance:started:position:unit:ordinal`.
///
/// - `instance` and `started` (ms since 1970) name the process that emitted the event (a node's id is reused by
///   later processes; an instance number is not, while both live).
/// - `position` counts every event that process recorded: on that process, the events after it are known exactly.
/// - `unit` and `ordinal` name the last logged item (a message of a unit, or a conversation event with ordinal 0)
///   it had emitted by then: from its write-ahead log in the database, any node can tell what a client that received
///   this event had received, even after that process died.
struct RecoveryOffset: Sendable, Equatable {
    var instance: Int64
    var started: Int64
    var position: UInt64
    var unit: Int64
    var ordinal: Int

    init(instance: Int64, started: Int64, position: UInt64, unit: Int64, ordinal: Int) {
        self.instance = instance
        self.started = started
        self.position = position
        self.unit = unit
        self.ordinal = ordinal
    }

    /// Reads an offset a client sent back; nil for anything this format never produced.
    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, let instance = Int64(parts[0]), let started = Int64(parts[1]), let position = UInt64(parts[2]),
            let unit = Int64(parts[3]), let ordinal = Int(parts[4]), instance > 0, unit >= 0, ordinal >= 0
        else { return nil }
        self.init(instance: instance, started: started, position: position, unit: unit, ordinal: ordinal)
    }

    var text: String { "\(instance):\(started):\(position):\(unit):\(ordinal)" }
}
