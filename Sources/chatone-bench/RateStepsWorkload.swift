/// P1: open-loop messaging at rising total rates; reports each step and, for each p99 ack limit, the highest rate
/// up to which every step was held.
struct RateStepsWorkload: Sendable {
    var pairs: Int
    var rates: [Int]
    var seconds: Double
    var p99Limits: [Double]
    /// Stop stepping up once p99 ack passes this (ms) or a step does not drain: higher rates only queue.
    var stopAboveMs: Double
    var drainSeconds: Double

    func run(_ target: BenchTarget) async throws -> Bool {
        Console.line("P1 messaging: \(pairs) pairs, rates \(rates.map(String.init).joined(separator: ",")) msg/s, \(fmt(seconds, 1)) s each")
        let messaging = try await MessagingWorkload.setUp(target, pairs: pairs, drainSeconds: drainSeconds)
        var results: [MessagingStepResult] = []
        for (index, rate) in rates.enumerated() {
            let result = await messaging.runStep(index + 1, rate: rate, seconds: seconds)
            Console.line(result.report)
            results.append(result)
            if !result.drained || result.ack.p99 > stopAboveMs {
                Console.line("  stopping: p99 ack \(fmt(result.ack.p99)) ms" + (result.drained ? "" : ", not drained"))
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        for limit in p99Limits {
            // Held means every step up to it was held: a clean step above a failed one is luck, not capacity.
            let held = results.prefix { $0.held(p99AckMs: limit) }.last?.targetRate
            Console.line("  highest rate held with p99 ack <= \(fmt(limit, 0)) ms: " + (held.map { "\($0) msg/s" } ?? "none of the steps"))
        }
        await messaging.close()
        return results.allSatisfy { $0.clean && $0.acked > 0 }
    }
}
