import Foundation

/// `DATETIME(6)` text, always UTC (each connection sets `time_zone = '+00:00'`).
enum MariaDBDateFormat {
    static func string(from date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = seconds.rounded(.down)
        var micros = Int(((seconds - whole) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            whole += 1
            micros -= 1_000_000
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: whole))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let day = "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))"
        return "\(day) \(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(micros, 6))"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DD HH:MM:SS.ffffff` as UTC.
    static func date(from text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard let dayPart = parts.first else { return nil }
        let day = dayPart.split(separator: "-").compactMap { Int($0) }
        guard day.count == 3 else { return nil }
        var components = DateComponents(year: day[0], month: day[1], day: day[2], hour: 0, minute: 0, second: 0)
        var fraction = 0.0
        if parts.count > 1 {
            let timeAndFraction = parts[1].split(separator: ".", maxSplits: 1)
            let time = timeAndFraction[0].split(separator: ":").compactMap { Int($0) }
            guard time.count == 3 else { return nil }
            components.hour = time[0]
            components.minute = time[1]
            components.second = time[2]
            if timeAndFraction.count == 2 { fraction = Double("0." + timeAndFraction[1]) ?? 0 }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { return nil }
        return Date(timeIntervalSince1970: date.timeIntervalSince1970 + fraction)
    }
}
