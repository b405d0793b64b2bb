import Foundation
import NIOCore

/// The times API.md writes: RFC 3339, UTC, milliseconds, `2026-11-27T05:06:41.998Z`.
///
/// Written by hand from the millisecond count, for two reasons. Foundation's `ISO8601FormatStyle` truncates the
/// binary fraction, so about half of all stored times came out a millisecond early (a `created_at` of …41.998 as
/// `41.997Z`); here the stored millisecond is the one written. And a new message's time is written for every send,
/// where the format style cost more than the rest of the message's JSON.
enum APITimestamp {
    /// 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in milliseconds since 1970: the years of four digits.
    private static let writable: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// The time as RFC 3339 text, without quotes.
    static func string(_ date: Date) -> String {
        var buffer = ByteBuffer()
        write(date, into: &buffer)
        return String(buffer: buffer)
    }

    /// Appends the time as a JSON string, or `null` for no time.
    static func writeQuoted(_ date: Date?, into buffer: inout ByteBuffer) {
        guard let date else {
            buffer.writeStaticString("null")
            return
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        write(date, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Appends the time as RFC 3339 text, without quotes.
    static func write(_ date: Date, into buffer: inout ByteBuffer) {
        let scaled = date.timeIntervalSince1970 * 1000
        // Times are stored as whole milliseconds; a `Date` made from one is within a rounding error of it.
        guard scaled.isFinite, let millis = Int64(exactly: scaled.rounded()), writable.contains(millis) else {
            // Outside four-digit years RFC 3339 has no spelling; no stored time is there, so the fallback only keeps
            // this total.
            buffer.writeString(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            return
        }
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let ofDay = millis - days * 86_400_000
        let (year, month, day) = civilDate(daysSince1970: days)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { raw in
            var at = 0
            func digits(_ value: Int64, _ count: Int) {
                var rest = value
                for position in stride(from: at + count - 1, through: at, by: -1) {
                    raw[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                at += count
            }
            func byte(_ ascii: Unicode.Scalar) {
                raw[at] = UInt8(ascii: ascii)
                at += 1
            }
            digits(year, 4); byte("-"); digits(month, 2); byte("-"); digits(day, 2); byte("T")
            digits(ofDay / 3_600_000, 2); byte(":"); digits(ofDay / 60_000 % 60, 2); byte(":"); digits(ofDay / 1000 % 60, 2)
            byte("."); digits(ofDay % 1000, 3); byte("Z")
            return at
        }
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01, by the usual era arithmetic: 400-year eras of
    /// 146,097 days, years starting in March so the leap day is the last day of a year.
    private static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days from 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
