import Foundation

/// Paces requests for one teacher: token buckets for requests and tokens per minute, a cap on requests in
/// flight (the only brake for self-hosted servers, which send no rate-limit headers), and a cool-down that
/// holds every worker after a 429. The buckets hold one second's worth at most, because providers enforce
/// per-minute limits in per-second slices (60,000 RPM as 1,000 a second) and a minute's burst trips 429s.
public actor RateLimiter {
    public struct Limits: Sendable, Equatable {
        public var requestsPerMinute: Double?
        public var tokensPerMinute: Double?
        public var maxInFlight: Int

        public init(requestsPerMinute: Double? = nil, tokensPerMinute: Double? = nil, maxInFlight: Int = 16) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
            self.maxInFlight = maxInFlight
        }
    }

    private let limits: Limits
    private var requestLevel: Double
    private var tokenLevel: Double
    private var lastRefill: Double
    private var inFlight = 0
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    private var coolDownUntil = 0.0

    public init(_ limits: Limits) {
        self.limits = limits
        requestLevel = Self.capacity(limits.requestsPerMinute)
        tokenLevel = Self.capacity(limits.tokensPerMinute)
        lastRefill = Self.now()
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    private static func capacity(_ perMinute: Double?) -> Double { perMinute.map { max(1, $0 / 60) } ?? .infinity }

    /// Waits until a request of `tokens` (prompt bound + max tokens) may go, and takes its slot.
    public func acquire(tokens: Int) async throws {
        while true {
            try Task.checkCancellation()
            if inFlight >= limits.maxInFlight {
                await withCheckedContinuation { slotWaiters.append($0) }
                continue
            }
            refill()
            let now = Self.now()
            var wait = coolDownUntil - now
            let tokenCapacity = Self.capacity(limits.tokensPerMinute)
            // A request bigger than the bucket goes when the bucket is full and leaves it in debt.
            let need = min(Double(tokens), tokenCapacity)
            if requestLevel < 1, let rpm = limits.requestsPerMinute { wait = max(wait, (1 - requestLevel) / (rpm / 60)) }
            if tokenLevel < need, let tpm = limits.tokensPerMinute { wait = max(wait, (need - tokenLevel) / (tpm / 60)) }
            if wait <= 0 {
                requestLevel -= 1
                tokenLevel -= Double(tokens)
                inFlight += 1
                return
            }
            try await Task.sleep(nanoseconds: UInt64(min(wait, 60) * 1e9) + 1)
        }
    }

    /// Gives the slot back when the attempt is over, whatever its outcome.
    public func release() {
        inFlight -= 1
        if !slotWaiters.isEmpty { slotWaiters.removeFirst().resume() }
    }

    /// Corrects the buckets from what the server said: never more left than it reports, and nothing at all
    /// until its window resets when it reports none.
    public func observe(_ h: RateLimitHeaders) {
        refill()
        let now = Self.now()
        if let remaining = h.remainingRequests {
            requestLevel = min(requestLevel, remaining)
            if remaining < 1, let reset = h.resetRequests { coolDownUntil = max(coolDownUntil, now + reset) }
        }
        if let remaining = h.remainingTokens {
            tokenLevel = min(tokenLevel, remaining)
            if remaining < 1, let reset = h.resetTokens { coolDownUntil = max(coolDownUntil, now + reset) }
        }
    }

    /// After a 429 every worker waits: for `retry-after` when the server gave one.
    public func coolDown(seconds: Double) {
        coolDownUntil = max(coolDownUntil, Self.now() + seconds)
    }

    private func refill() {
        let now = Self.now()
        let elapsed = now - lastRefill
        lastRefill = now
        if let rpm = limits.requestsPerMinute { requestLevel = min(Self.capacity(rpm), requestLevel + elapsed * rpm / 60) }
        if let tpm = limits.tokensPerMinute { tokenLevel = min(Self.capacity(tpm), tokenLevel + elapsed * tpm / 60) }
    }
}
