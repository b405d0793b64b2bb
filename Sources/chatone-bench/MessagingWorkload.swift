/// P1: N sender→receiver pairs, each in its own direct conversation, sending `message:send` open-loop at a
/// total target rate; ack latency at the sender, delivery latency at the receiver, both from the scheduled
/// send time (so a stalled server cannot hide its queue: no coordinated omission).
struct MessagingWorkload: Sendable {
    let target: BenchTarget
    let pairs: [PairState]
    let senders: [SocketIOClient]
    let receivers: [SocketIOClient]
    let drainSeconds: Double

    /// Registers 2N users, opens N direct conversations over REST and connects 2N sockets.
    static func setUp(_ target: BenchTarget, pairs count: Int, tag: String = "p", drainSeconds: Double = 10) async throws -> MessagingWorkload {
        let users = try await target.registerUsers(2 * count, tag: tag)
        let api = try await target.api()
        var pairs: [PairState] = []
        for index in 0..<count {
            pairs.append(PairState(conversation: try await api.direct(users[index], with: users[count + index])))
        }
        await api.http.close()
        let states = pairs
        let sockets = await target.connectSockets(
            users,
            onEvent: { index, packet in if index >= count { states[index - count].delivery(packet: packet) } },
            onAck: { index, id, packet in if index < count { states[index].ack(id: id, packet: packet) } }
        )
        guard sockets.count == users.count else { throw BenchError.unexpected("only \(sockets.count) of \(users.count) sockets connected") }
        return MessagingWorkload(
            target: target,
            pairs: pairs,
            senders: Array(sockets[..<count]),
            receivers: Array(sockets[count...]),
            drainSeconds: drainSeconds
        )
    }

    /// Sends at `rate` messages/s in total for `seconds`, then waits for acks and deliveries (up to `drainSeconds`).
    func runStep(_ step: Int, rate: Int, seconds: Double) async -> MessagingStepResult {
        for pair in pairs { pair.begin(step: step) }
        let perSender = Double(rate) / Double(pairs.count)
        let interval = 1e9 / perSender
        let duration = UInt64(seconds * 1e9)
        let before = target.stats()
        let start = MonotonicClock.now() + 20_000_000
        let runID = target.runID
        await withTaskGroup(of: Void.self) { group in
            for (index, pair) in pairs.enumerated() {
                let socket = senders[index]
                // Spread the pairs' schedules evenly over one interval.
                let offset = interval * Double(index) / Double(pairs.count)
                group.addTask {
                    var sequence = 0
                    while true {
                        let scheduled = start + UInt64(offset + Double(sequence) * interval)
                        if scheduled >= start + duration { break }
                        if scheduled > MonotonicClock.now() + 100_000 { try? await MonotonicClock.sleep(until: scheduled) }
                        let id = socket.makeAckID()
                        let json =
                            #"{"conversationId":"\#(pair.conversation)","content":"\#(PairState.content(step: step, scheduled: scheduled))","clientMessageId":"\#(runID)-\#(step)-\#(index)-\#(sequence)"}"#
                        pair.sent(id: id, scheduled: scheduled, actual: MonotonicClock.now())
                        do { try await socket.emit("message:send", json: json, ackID: id) } catch { break }
                        sequence += 1
                    }
                }
            }
        }
        let after = target.stats()
        let drainDeadline = MonotonicClock.now() + UInt64(drainSeconds * 1e9)
        var drained = false
        while MonotonicClock.now() < drainDeadline {
            if pairs.allSatisfy(\.settled) {
                drained = true
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }

        var result = MessagingStepResult(targetRate: rate, seconds: seconds)
        result.drained = drained
        var acks: [UInt64] = []
        var deliveries: [UInt64] = []
        var lags: [UInt64] = []
        var lastAck: UInt64 = start
        for pair in pairs {
            let (counters, lost) = pair.harvest()
            result.sent += counters.sent
            result.acked += counters.acked
            result.ackErrors.merge(counters.ackErrors, uniquingKeysWith: +)
            result.lost += lost
            result.duplicates += counters.duplicates
            result.reordered += counters.reordered
            result.late += counters.late
            acks += counters.ackLatencies
            deliveries += counters.deliveryLatencies
            lags += counters.sendLags
            lastAck = max(lastAck, counters.lastAckAt)
        }
        result.unacked = result.sent - result.acked - result.errorCount
        result.ack = LatencyStats(acks)
        result.delivery = LatencyStats(deliveries)
        result.sendLag = LatencyStats(lags)
        // Achieved over at least the step's own length, so finishing early does not inflate it.
        let span = max(Double(lastAck &- start) / 1e9, seconds)
        result.achievedRate = Double(result.acked) / span
        result.server = ProcessDelta(from: before, to: after)
        result.serverRSS = after
        return result
    }

    func close() async {
        await closeAll(senders + receivers)
    }
}
