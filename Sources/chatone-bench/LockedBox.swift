import Synchronization

/// A value behind a `Mutex` that escaping task closures can share.
final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }

    var value: Value { mutex.withLock { $0 } }
}
