import Synchronization

/// One timer of an ``EventLoopTimerQueue``: runs its action once, at its deadline, unless cancelled first.
///
/// Cancelling costs one lock and drops the action (and whatever it captured) at once; the queue skips the timer's
/// entry when its deadline comes.
public final class EventLoopTimer: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>
    private let queue: EventLoopTimerQueue

    init(queue: EventLoopTimerQueue, action: @escaping @Sendable () -> Void) {
        self.queue = queue
        self.action = Mutex(action)
    }

    /// Stops the timer if it has not fired yet; calling it again, or after it fired, does nothing.
    public func cancel() {
        if take() != nil { queue.timerCancelled() }
    }

    /// Whether the timer has neither fired nor been cancelled.
    var isPending: Bool {
        action.withLock { $0 != nil }
    }

    /// Runs the action unless the timer was cancelled (exactly one of `fire` and `cancel` gets it).
    func fire() {
        take()?()
    }

    private func take() -> (@Sendable () -> Void)? {
        action.withLock { action in
            defer { action = nil }
            return action
        }
    }
}
