import Foundation
@testable import SeedTeacher
import XCTest

final class RateLimiterTests: XCTestCase {
    func elapsed(_ body: () async throws -> Void) async rethrows -> Double {
        let start = Date()
        try await body()
        return Date().timeIntervalSince(start)
    }

    func testRequestsPerMinuteArePacedWithOneSecondOfBurst() async throws {
        let limiter = RateLimiter(.init(requestsPerMinute: 6000, maxInFlight: 1000))
        // 100 go at once (one second's worth), the next 50 at 100 a second.
        let t = try await elapsed {
            for _ in 0..<150 {
                try await limiter.acquire(tokens: 1)
                await limiter.release()
            }
        }
        XCTAssertGreaterThanOrEqual(t, 0.45)
        XCTAssertLessThan(t, 2)
    }

    func testTokensPerMinuteArePaced() async throws {
        let limiter = RateLimiter(.init(tokensPerMinute: 120_000, maxInFlight: 1000))
        // 2,000 tokens a second: 3 × 1,000 needs half a second more than the bucket holds.
        let t = try await elapsed {
            for _ in 0..<3 {
                try await limiter.acquire(tokens: 1000)
                await limiter.release()
            }
        }
        XCTAssertGreaterThanOrEqual(t, 0.45)
        XCTAssertLessThan(t, 2)
    }

    func testHeadersSayingNothingIsLeftHoldUntilTheReset() async throws {
        let limiter = RateLimiter(.init(maxInFlight: 10))
        var h = RateLimitHeaders()
        h.remainingRequests = 0
        h.resetRequests = 0.25
        await limiter.observe(h)
        let t = try await elapsed { try await limiter.acquire(tokens: 1) }
        XCTAssertGreaterThanOrEqual(t, 0.24)
    }

    func testInFlightCap() async throws {
        let limiter = RateLimiter(.init(maxInFlight: 2))
        try await limiter.acquire(tokens: 1)
        try await limiter.acquire(tokens: 1)
        let third = Task { try await limiter.acquire(tokens: 1); return Date() }
        try await Task.sleep(nanoseconds: 200_000_000)
        let released = Date()
        await limiter.release()
        let admitted = try await third.value
        XCTAssertGreaterThanOrEqual(admitted.timeIntervalSince(released), 0, "the third waits for a slot")
    }
}
