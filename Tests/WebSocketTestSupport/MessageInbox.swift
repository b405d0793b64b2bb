import HummingbirdWSClient

/// Buffers WebSocket messages received by a test client and hands them out with a timeout.
public actor MessageInbox {
    private var buffered: [WebSocketMessage] = []
    private var finished = false
    private var waiter: (id: Int, continuation: CheckedContinuation<WebSocketMessage?, Never>)?
    private var nextWaiterID = 0

    public func deliver(_ message: WebSocketMessage) {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: message)
        } else {
            buffered.append(message)
        }
    }

    public func finish() {
        finished = true
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: nil)
        }
    }

    public var isFinished: Bool { finished && buffered.isEmpty }

    /// The next message, or `nil` when the connection closed or nothing came within `timeout`.
    public func next(timeout: Duration) async -> WebSocketMessage? {
        if !buffered.isEmpty { return buffered.removeFirst() }
        if finished { return nil }
        nextWaiterID += 1
        let id = nextWaiterID
        return await withCheckedContinuation { continuation in
            waiter = (id, continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: nil)
    }
}
