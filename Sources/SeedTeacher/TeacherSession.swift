import Foundation

/// Everything between a job and one teacher: the response cache, the capability probe before the first
/// network call, the budget reservation, the rate limiter, retries, and the settlement that writes spend,
/// ledger row and cache entry together.
public final class TeacherSession: Sendable {
    public let config: TeacherConfig
    public let client: TeacherClient
    public let store: TeacherStore
    public let budgetName: String
    let limiter: RateLimiter
    public let counters = SessionCounters()
    private let probes = ProbeGate()
    private let quotaStop = StopFlag()

    /// An answer and where it came from. `created` is the time of the original answer, also on a cache
    /// replay, so that a rerun writes the same bytes.
    public struct Answer: Sendable {
        public var response: TeacherResponse
        public var requestHash: String
        public var created: String
        public var fromCache: Bool
    }

    /// The key is needed only once a request has to leave: a job whose answers are all cached (a rerun,
    /// an import of Batch answers) runs without it.
    public init(config: TeacherConfig, store: TeacherStore, budgetName: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let key = environment[config.apiKeyEnv].flatMap { $0.isEmpty ? nil : $0 }
        hasKey = key != nil
        self.config = config
        self.store = store
        self.budgetName = budgetName
        client = try TeacherClient(baseURL: config.baseURL, apiKey: key, maxConnections: config.limits.maxInFlight, timeoutSeconds: config.timeoutSeconds,
                                   maxTokensField: config.maxTokensField)
        limiter = RateLimiter(config.limits)
    }

    private let hasKey: Bool

    /// Throws the missing-key error before anything would be sent without one.
    public func requireKey() throws {
        guard hasKey else { throw TeacherError.missingAPIKey(variable: config.apiKeyEnv, teacher: config.name) }
    }

    public func shutdown() async { await client.shutdown() }

    /// The answer to `request`: from the cache when it was answered before, else from the teacher.
    public func answer(_ request: TeacherRequest) async throws -> Answer {
        let key = request.hash(baseURL: client.baseURL)
        if let cached = try await store.cached(key) {
            counters.add(cacheHits: 1)
            return Answer(response: try TeacherResponse(raw: try JSONValue.parse(cached.response)), requestHash: key, created: cached.created, fromCache: true)
        }
        try requireKey()
        try await probes.once(signature: ProbeGate.signature(request)) { try await self.probe(like: request) }
        return try await call(request, key: key, cache: true)
    }

    /// Sends until an answer comes or the error is final. Every attempt is reserved, paced, ledgered and
    /// settled on its own.
    func call(_ request: TeacherRequest, key: String, cache: Bool) async throws -> Answer {
        try requireKey()
        var attempt = 0
        while true {
            if let reason = quotaStop.reason { throw reason }
            let worst = request.worstCaseTokens
            let reservation = try await reserve(nano: config.prices.nanoUSD(prompt: worst.prompt, completion: worst.completion),
                                                tokens: Int64(worst.prompt + worst.completion))
            let result: Attempt
            do {
                try await limiter.acquire(tokens: worst.prompt + worst.completion)
            } catch {
                try await store.release(reservation)
                throw error
            }
            result = await client.send(request)
            await limiter.release()
            await limiter.observe(result.limits)
            counters.add(requests: 1)
            let created = Timestamp.now()
            var entry = TeacherStore.LedgerEntry(
                created: created, teacher: config.name, requestedModel: config.model, servedModel: nil, systemFingerprint: nil,
                host: client.host, requestSHA256: key, usage: nil, costNano: 0, latencyMs: result.seconds * 1000, status: "ok",
                terms: config.terms.id, mode: "online")
            switch result.result {
            case .success(let response):
                entry.servedModel = response.servedModel
                entry.systemFingerprint = response.systemFingerprint
                entry.usage = response.usage
                // Without reported usage (a stream whose usage chunk never came) the request stays at its reservation.
                let charged = response.usage.map { Int64($0.promptTokens + $0.completionTokens) } ?? reservation.tokens
                entry.costNano = response.usage.map { config.prices.nanoUSD(prompt: $0.promptTokens, completion: $0.completionTokens) } ?? reservation.nano
                try await store.record(entry, reservation: reservation, chargedTokens: charged, cacheKey: cache ? key : nil,
                                 response: cache ? response.raw.canonicalData : nil)
                counters.add(spentNano: entry.costNano)
                return Answer(response: response, requestHash: key, created: created, fromCache: false)
            case .failure(let error):
                entry.status = Self.status(error)
                entry.costNano = result.mayHaveBilled ? reservation.nano : 0
                try await store.record(entry, reservation: reservation, chargedTokens: result.mayHaveBilled ? reservation.tokens : 0, cacheKey: nil, response: nil)
                counters.add(spentNano: entry.costNano, failures: 1)
                if case .insufficientQuota = error {
                    quotaStop.set(error)
                    throw error
                }
                guard error.isRetryable else { throw error }
                guard attempt < config.maxRetries else { throw TeacherError.retriesExhausted(attempts: attempt + 1, last: error.description) }
                let delay = result.limits.retryAfter ?? backoff(attempt)
                if case .api(429, _) = error { await limiter.coolDown(seconds: delay) }
                attempt += 1
                counters.add(retries: 1)
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
        }
    }

    /// Full jitter over an exponential delay: workers that failed together do not come back together.
    private func backoff(_ attempt: Int) -> Double {
        let ceiling = min(30, config.retryBaseSeconds * pow(2, Double(attempt)))
        return Double.random(in: ceiling / 2...max(ceiling / 2, ceiling))
    }

    /// Reserves the worst case, waiting while other requests' reservations may still free room; gives up
    /// only when nothing is outstanding and the request still does not fit.
    private func reserve(nano: Int64, tokens: Int64) async throws -> TeacherStore.Reservation {
        var waited = 0.0
        while true {
            switch try await store.reserve(budgetName, nano: nano, tokens: tokens) {
            case .reserved(let r):
                return r
            case .wouldExceed(let s):
                guard s.outstanding > 0 else {
                    var reason = String(format: "spent $%.6f", s.spentUSD)
                    if let limit = s.limitNano { reason += String(format: " of $%.6f", Double(limit) / 1e9) }
                    if let limit = s.limitTokens { reason += " (\(s.spentTokens) of \(limit) tokens)" }
                    reason += String(format: ", and the next request could cost up to $%.6f (%d tokens)", Double(nano) / 1e9, tokens)
                    throw TeacherError.budgetExhausted(reason)
                }
                let pause = Double.random(in: 0.01...0.03)
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
                waited += pause
                // A process that died holding reservations would otherwise keep this one waiting forever.
                if waited > 2 {
                    try store.reclaimAbandoned(budgetName, includingOwnProcess: false)
                    waited = 0
                }
            }
        }
    }

    static func status(_ error: TeacherError) -> String {
        switch error {
        case .insufficientQuota: return "insufficient_quota"
        case let .api(status, body): return "http \(status)" + (body.code.map { " \($0)" } ?? "")
        case .transport: return "transport"
        case .malformed: return "malformed"
        default: return "error"
        }
    }
}

/// Counts for the progress line and the summary; shared by every worker of a job.
public final class SessionCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var values = (requests: 0, cacheHits: 0, retries: 0, failures: 0, spentNano: Int64(0))

    public struct Snapshot: Sendable, Equatable {
        public var requests = 0, cacheHits = 0, retries = 0, failures = 0
        public var spentNano: Int64 = 0
        public var spentUSD: Double { Double(spentNano) / 1e9 }

        public static func + (a: Snapshot, b: Snapshot) -> Snapshot {
            Snapshot(requests: a.requests + b.requests, cacheHits: a.cacheHits + b.cacheHits, retries: a.retries + b.retries,
                     failures: a.failures + b.failures, spentNano: a.spentNano + b.spentNano)
        }
    }

    func add(requests: Int = 0, cacheHits: Int = 0, retries: Int = 0, spentNano: Int64 = 0, failures: Int = 0) {
        lock.lock()
        values.requests += requests
        values.cacheHits += cacheHits
        values.retries += retries
        values.failures += failures
        values.spentNano += spentNano
        lock.unlock()
    }

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return Snapshot(requests: values.requests, cacheHits: values.cacheHits, retries: values.retries, failures: values.failures,
                        spentNano: values.spentNano)
    }
}

/// Set once when the quota is gone: every worker stops before its next request.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: TeacherError?

    var reason: TeacherError? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func set(_ error: TeacherError) {
        lock.lock()
        if stored == nil { stored = error }
        lock.unlock()
    }
}

/// UTC times as ISO 8601 with seconds, the form `seed.created` and the ledger use.
enum Timestamp {
    static func now() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
