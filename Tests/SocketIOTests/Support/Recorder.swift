/// Collects values reported by server-side handlers so tests can wait for them.
actor Recorder<Value: Sendable> {
    private(set) var values: [Value] = []

    func record(_ value: Value) { values.append(value) }

    /// Waits until at least `count` values arrived; returns them (possibly fewer on timeout).
    func wait(count: Int, timeout: Duration = .seconds(10)) async -> [Value] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while values.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return values
    }
}
