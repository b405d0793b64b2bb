import Synchronization

/// What P1 knows about one sender→receiver pair: sends in flight, samples of the current step, and the
/// receiver's view of the conversation's `seq`s (which must arrive strictly increasing by one, each once).
final class PairState: Sendable {
    struct Counters {
        var sent = 0
        var acked = 0
        var ackErrors: [String: Int] = [:]
        var delivered = 0
        var duplicates = 0
        var reordered = 0
        /// Deliveries tagged with an earlier step (they arrived after that step's drain gave up).
        var late = 0
        var ackLatencies: [UInt64] = []
        var deliveryLatencies: [UInt64] = []
        var sendLags: [UInt64] = []
        var ackedSeqs: [Int] = []
        var lastAckAt: UInt64 = 0
    }

    let conversation: String
    private let inFlight = Mutex<[Int: UInt64]>([:])
    private let step = Atomic<Int>(0)
    private let counters = Mutex(Counters())
    private let seen = Mutex<(all: Set<Int>, highest: Int)>(([], 0))

    init(conversation: String) { self.conversation = conversation }

    /// Starts a new step: samples of the previous one are dropped (call `harvest` first).
    func begin(step number: Int) {
        step.store(number, ordering: .relaxed)
        counters.withLock { $0 = Counters() }
    }

    /// Records a send scheduled at `scheduled` and sent at `actual`, under ack id `id`.
    func sent(id: Int, scheduled: UInt64, actual: UInt64) {
        inFlight.withLock { $0[id] = scheduled }
        counters.withLock {
            $0.sent += 1
            $0.sendLags.append(actual &- scheduled)
        }
    }

    /// The sender's ack: `43<id>[{"success":true,"data":{…"seq":n…}}]`.
    func ack(id: Int, packet: String) {
        let now = MonotonicClock.now()
        guard let scheduled = inFlight.withLock({ $0.removeValue(forKey: id) }) else { return }
        let utf8 = packet.utf8[...]
        if JSONScan.contains("\"success\":true", in: utf8), let seq = JSONScan.int("seq", in: utf8) {
            counters.withLock {
                $0.acked += 1
                $0.ackLatencies.append(now &- scheduled)
                $0.ackedSeqs.append(seq)
                $0.lastAckAt = now
            }
        } else {
            let code = JSONScan.string("code", in: utf8).map(String.init) ?? "unknown"
            counters.withLock { $0.ackErrors[code, default: 0] += 1 }
        }
    }

    /// The receiver's `42["message:new",{…}]`; the content carries the step and the scheduled send time.
    func delivery(packet: String) {
        let now = MonotonicClock.now()
        let utf8 = packet.utf8[...]
        guard packet.hasPrefix("42[\"message:new\""), let seq = JSONScan.int("seq", in: utf8),
            let content = JSONScan.string("content", in: utf8)
        else { return }
        let (messageStep, scheduled) = Self.parse(content)
        let (duplicate, reordered) = seen.withLock { state -> (Bool, Bool) in
            if !state.all.insert(seq).inserted { return (true, false) }
            defer { state.highest = Swift.max(state.highest, seq) }
            return (false, seq < state.highest)
        }
        let current = step.load(ordering: .relaxed)
        counters.withLock {
            if duplicate {
                $0.duplicates += 1
                return
            }
            if reordered { $0.reordered += 1 }
            if messageStep != current {
                $0.late += 1
                return
            }
            $0.delivered += 1
            $0.deliveryLatencies.append(now &- scheduled)
        }
    }

    /// Whether every send of this step has its ack and every acked message its delivery.
    var settled: Bool {
        counters.withLock { $0.acked + $0.ackErrors.values.reduce(0, +) >= $0.sent && $0.delivered >= $0.acked }
    }

    /// This step's counters, and how many acked `seq`s never reached the receiver.
    func harvest() -> (Counters, lost: Int) {
        let taken = counters.withLock { $0 }
        let lost = seen.withLock { state in taken.ackedSeqs.filter { !state.all.contains($0) }.count }
        return (taken, lost)
    }

    /// The content of a bench message: step and scheduled send time, so the receiver needs no shared table.
    static func content(step: Int, scheduled: UInt64) -> String { "s\(step) t\(scheduled) bench" }

    private static func parse(_ content: Substring) -> (step: Int, scheduled: UInt64) {
        let parts = content.split(separator: " ")
        guard parts.count >= 2 else { return (-1, 0) }
        return (Int(parts[0].dropFirst()) ?? -1, UInt64(parts[1].dropFirst()) ?? 0)
    }
}
