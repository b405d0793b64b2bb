/// One open-loop step of P1 (or a P5 phase): what was asked, what was achieved, and the latencies.
struct MessagingStepResult: Sendable {
    var targetRate: Int
    var seconds: Double
    var sent = 0
    var acked = 0
    var ackErrors: [String: Int] = [:]
    var unacked = 0
    var lost = 0
    var duplicates = 0
    var reordered = 0
    var late = 0
    /// Acked messages per second, from the step's start to its last ack.
    var achievedRate = 0.0
    var ack = LatencyStats([])
    var delivery = LatencyStats([])
    /// How late the bench itself sent (actual − scheduled); a high value means the client, not the server, limits.
    var sendLag = LatencyStats([])
    var server: ProcessDelta?
    var serverRSS: ProcessStats?
    var drained = true

    var errorCount: Int { ackErrors.values.reduce(0, +) }
    var clean: Bool { unacked == 0 && lost == 0 && duplicates == 0 && reordered == 0 && errorCount == 0 }

    /// Held: clean, at least 95% of the asked rate achieved, and p99 ack within the limit.
    func held(p99AckMs limit: Double) -> Bool {
        clean && achievedRate >= 0.95 * Double(targetRate) && ack.p99 <= limit
    }

    var report: String {
        var lines = [
            "  rate \(targetRate)/s for \(fmt(seconds, 1)) s: sent \(sent), acked \(acked), achieved \(fmt(achievedRate, 0))/s"
                + (drained ? "" : " (drain timed out)"),
            "    ack      \(ack)",
            "    delivery \(delivery)",
            "    lost \(lost) duplicated \(duplicates) reordered \(reordered) unacked \(unacked) late \(late)"
                + (ackErrors.isEmpty ? "" : " ack errors \(ackErrors)"),
            "    bench send lag p99 \(fmt(sendLag.p99)) ms",
        ]
        if let server {
            let perMessage = acked > 0 ? Double(server.contextSwitches) / Double(acked) : 0
            lines.append(
                "    server CPU \(fmt(server.cpuPercent, 0))%, context switches \(server.contextSwitches) (\(fmt(perMessage)) per message)"
                    + (serverRSS.map { ", RSS \($0.mib)" } ?? "")
            )
        }
        return lines.joined(separator: "\n")
    }
}
