import Synchronization

/// A counter that escaping task closures can share (an `Atomic` itself cannot be captured by them).
final class AtomicCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds `amount`; returns the value before.
    @discardableResult
    func add(_ amount: Int = 1) -> Int { value.add(amount, ordering: .relaxed).oldValue }

    var load: Int { value.load(ordering: .relaxed) }
}
