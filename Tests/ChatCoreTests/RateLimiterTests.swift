import ChatCore
import Testing

@Suite("ChatCore: rate limiting")
struct RateLimiterTests {
    @Test("a bucket allows its burst, then refuses with the seconds until the next token")
    func burstThenRefusal() {
        let limiter = RateLimiter(RateLimit(burst: 3, per: .seconds(30)))
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.acquire("k", now: start) == nil) }
        // One token per 10 s: the fourth waits 10 s.
        #expect(limiter.acquire("k", now: start) == 10)
        // Other keys are independent.
        #expect(limiter.acquire("other", now: start) == nil)
        // After 10 s one token is back, and only one.
        #expect(limiter.acquire("k", now: start.advanced(by: .seconds(10))) == nil)
        #expect(limiter.acquire("k", now: start.advanced(by: .seconds(10))) != nil)
    }

    @Test("refund gives a token back, never above the burst")
    func refund() {
        let limiter = RateLimiter(RateLimit(burst: 2, per: .seconds(3600)))
        let now = ContinuousClock.now
        #expect(limiter.acquire("k", now: now) == nil)
        #expect(limiter.acquire("k", now: now) == nil)
        #expect(limiter.acquire("k", now: now) != nil)
        limiter.refund("k")
        #expect(limiter.acquire("k", now: now) == nil)
        limiter.refund("k")
        limiter.refund("k")
        limiter.refund("k")
        #expect(limiter.acquire("k", now: now) == nil)
        #expect(limiter.acquire("k", now: now) == nil)
        #expect(limiter.acquire("k", now: now) != nil)
    }

    @Test("check throws RATE_LIMITED with Retry-After seconds; a nil limit allows everything")
    func checkAndOff() throws {
        let limiter = RateLimiter(RateLimit(burst: 1, per: .seconds(5)))
        try limiter.check("k")
        #expect(throws: ChatError.rateLimited(retryAfterSeconds: 5)) { try limiter.check("k") }
        let off = RateLimiter(nil)
        for _ in 0..<10_000 { try off.check("k") }
        #expect(off.trackedKeys == 0)
    }

    @Test("memory stays bounded however many keys an attacker invents")
    func boundedKeys() {
        let limiter = RateLimiter(RateLimit(burst: 5, per: .seconds(60)), maxKeys: 1000)
        let now = ContinuousClock.now
        for i in 0..<50_000 { _ = limiter.acquire("addr-\(i)", now: now) }
        #expect(limiter.trackedKeys <= 1000)
        // A key that is being held back outlives keys that used less: flooding with new keys does not reset it.
        let held = RateLimiter(RateLimit(burst: 2, per: .seconds(3600)), maxKeys: 100)
        _ = held.acquire("attacker", now: now)
        _ = held.acquire("attacker", now: now)
        for i in 0..<5000 { _ = held.acquire("noise-\(i)", now: now) }
        #expect(held.acquire("attacker", now: now) != nil)
    }

    @Test("N/SECONDS parses; anything else is refused naming the variable")
    func parsing() throws {
        #expect(try RateLimit.parse("30/60", field: "X") == RateLimit(burst: 30, per: .seconds(60)))
        #expect(try RateLimit.parse("off", field: "X") == nil)
        for bad in ["", "30", "30/", "/60", "-1/60", "30/0", "a/b", "99999999999999999999/1", "1/1/1", "30/60s"] {
            #expect(throws: ChatError.validation("X must be N/SECONDS (e.g. 30/60) or off", field: "X")) { try RateLimit.parse(bad, field: "X") }
        }
    }
}
