import Synchronization

/// One connected group member in P4: counts `message:new` and keeps delivery latencies (from the send time
/// the content carries).
final class GroupReceiver: Sendable {
    private let state = Mutex<(count: Int, latencies: [UInt64], last: UInt64)>((0, [], 0))

    func receive(_ packet: String) {
        guard packet.hasPrefix("42[\"message:new\""), let content = JSONScan.string("content", in: packet.utf8[...]) else { return }
        let now = MonotonicClock.now()
        let parts = content.split(separator: " ")
        let sent = parts.count >= 2 ? UInt64(parts[1].dropFirst()) ?? now : now
        state.withLock {
            $0.count += 1
            $0.latencies.append(now &- sent)
            $0.last = max($0.last, now)
        }
    }

    var count: Int { state.withLock { $0.count } }

    func harvest() -> (count: Int, latencies: [UInt64], last: UInt64) { state.withLock { $0 } }
}
