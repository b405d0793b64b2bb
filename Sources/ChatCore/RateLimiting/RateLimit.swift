import Foundation

/// One limit: at most `burst` actions at once, refilled at `burst` per `period` (a token bucket).
///
/// Written `N/SECONDS` in configuration, e.g. `30/60` is a burst of 30 and then one every two seconds;
/// `off` disables the limit.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Most actions allowed back to back.
    public var burst: Int
    /// How long a full refill of `burst` tokens takes.
    public var period: Duration

    public init(burst: Int, per period: Duration) {
        self.burst = burst
        self.period = period
    }

    /// Parses `N/SECONDS` (both positive integers); `nil` for `off`. Throws a validation error naming `field`.
    public static func parse(_ text: String, field: String) throws -> RateLimit? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "off" || text == "0" { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let burst = Int(parts[0]), let seconds = Int(parts[1]),
            (1...1_000_000_000).contains(burst), (1...86_400 * 365).contains(seconds)
        else {
            throw ChatError.validation("\(field) must be N/SECONDS (e.g. 30/60) or off", field: field)
        }
        return RateLimit(burst: burst, per: .seconds(seconds))
    }

    /// Tokens regained per second.
    var refillPerSecond: Double {
        let (seconds, attoseconds) = period.components
        return Double(burst) / (Double(seconds) + Double(attoseconds) / 1e18)
    }

    public var description: String { "\(burst)/\(period.components.seconds)" }
}
