/// Exact percentiles of a set of latency samples (nanoseconds): every sample is kept and sorted,
/// which is cheap at the bench's sizes and needs no histogram dependency.
struct LatencyStats: Sendable, CustomStringConvertible {
    let sorted: [UInt64]

    init(_ samples: [UInt64]) { sorted = samples.sorted() }

    var count: Int { sorted.count }

    /// Nearest-rank percentile in milliseconds; 0 without samples.
    func ms(_ percentile: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
        return Double(sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]) / 1e6
    }

    var p50: Double { ms(50) }
    var p90: Double { ms(90) }
    var p99: Double { ms(99) }
    var max: Double { ms(100) }

    var description: String {
        count == 0 ? "no samples" : "p50 \(fmt(p50)) p90 \(fmt(p90)) p99 \(fmt(p99)) max \(fmt(max)) ms (n=\(count))"
    }
}

/// Fixed-point formatting without Foundation's String(format:).
func fmt(_ value: Double, _ digits: Int = 2) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let digitsText = String(fraction)
        text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
    }
    return text
}
