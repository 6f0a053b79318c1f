import Foundation

/// The server's counters and histograms, rendered in Prometheus' text exposition format (version 0.0.4)
/// for `GET /metrics`. Written by hand: a handful of series do not need a metrics framework.
public final class ServerMetrics: @unchecked Sendable {
    /// Latency buckets in seconds, from a cached tokenize call to a long generation.
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    struct Histogram {
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init() { counts = [Int](repeating: 0, count: ServerMetrics.latencyBuckets.count) }

        mutating func observe(_ value: Double) {
            for (i, bound) in ServerMetrics.latencyBuckets.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }
    }

    private let lock = NSLock()
    private var requests: [RequestKey: Int] = [:]
    private var durations: [String: Histogram] = [:]
    private var firstToken = Histogram()
    private var promptTokens = 0
    private var generatedTokens = 0

    struct RequestKey: Hashable, Comparable {
        var endpoint: String
        var status: Int
        static func < (a: RequestKey, b: RequestKey) -> Bool { (a.endpoint, a.status) < (b.endpoint, b.status) }
    }

    public init() {}

    func recordRequest(endpoint: String, status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests[RequestKey(endpoint: endpoint, status: status), default: 0] += 1
        durations[endpoint, default: Histogram()].observe(seconds)
    }

    func recordTokens(prompt: Int, generated: Int) {
        lock.lock()
        defer { lock.unlock() }
        promptTokens += prompt
        generatedTokens += generated
    }

    func recordFirstToken(seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        firstToken.observe(seconds)
    }

    /// The exposition text; `active` and `waiting` are the engine's current sequences, `engine` its steps.
    func render(active: Int, waiting: Int, engine: EngineStatistics) -> String {
        lock.lock()
        defer { lock.unlock() }
        var out = ""
        out += "# HELP seed_requests_total HTTP requests by endpoint and status.\n# TYPE seed_requests_total counter\n"
        for (key, count) in requests.sorted(by: { $0.key < $1.key }) {
            out += "seed_requests_total{endpoint=\"\(key.endpoint)\",status=\"\(key.status)\"} \(count)\n"
        }
        out += "# HELP seed_request_duration_seconds Time from request to response head (streams: to the first byte).\n"
        out += "# TYPE seed_request_duration_seconds histogram\n"
        for (endpoint, histogram) in durations.sorted(by: { $0.key < $1.key }) {
            out += render(histogram, name: "seed_request_duration_seconds", labels: "endpoint=\"\(endpoint)\",")
        }
        out += "# HELP seed_time_to_first_token_seconds Time from request to the first generated token.\n"
        out += "# TYPE seed_time_to_first_token_seconds histogram\n"
        out += render(firstToken, name: "seed_time_to_first_token_seconds", labels: "")
        out += "# HELP seed_prompt_tokens_total Prompt tokens of the requests, each prompt once whatever n is (as in usage).\n# TYPE seed_prompt_tokens_total counter\n"
        out += "seed_prompt_tokens_total \(promptTokens)\n"
        out += "# HELP seed_generation_tokens_total Tokens generated.\n# TYPE seed_generation_tokens_total counter\n"
        out += "seed_generation_tokens_total \(generatedTokens)\n"
        out += "# HELP seed_sequences_active Sequences being decoded in the current batch.\n# TYPE seed_sequences_active gauge\n"
        out += "seed_sequences_active \(active)\n"
        out += "# HELP seed_sequences_waiting Sequences waiting for a place in the batch.\n# TYPE seed_sequences_waiting gauge\n"
        out += "seed_sequences_waiting \(waiting)\n"
        out += "# HELP seed_engine_step_seconds Duration of the engine's forward steps (one per batch of tokens).\n"
        out += "# TYPE seed_engine_step_seconds histogram\n"
        out += render(bounds: EngineStatistics.stepBuckets, counts: engine.bucketCounts, count: engine.steps, sum: engine.seconds,
                      name: "seed_engine_step_seconds", labels: "")
        out += "# HELP seed_engine_rows_total Rows the engine's steps ran: decoded tokens and prompt tokens.\n"
        out += "# TYPE seed_engine_rows_total counter\n"
        out += "seed_engine_rows_total{kind=\"decode\"} \(engine.decodingRows)\n"
        out += "seed_engine_rows_total{kind=\"prompt\"} \(engine.promptRows)\n"
        return out
    }

    private func render(_ h: Histogram, name: String, labels: String) -> String {
        render(bounds: Self.latencyBuckets, counts: h.counts, count: h.count, sum: h.sum, name: name, labels: labels)
    }

    /// A histogram's series; `counts` are cumulative, one per bound, and `labels` end with a comma.
    private func render(bounds: [Double], counts: [Int], count: Int, sum: Double, name: String, labels: String) -> String {
        var out = ""
        for (bound, n) in zip(bounds, counts) {
            out += "\(name)_bucket{\(labels)le=\"\(bound)\"} \(n)\n"
        }
        let plain = labels.isEmpty ? "" : "{\(labels.dropLast())}"
        out += "\(name)_bucket{\(labels)le=\"+Inf\"} \(count)\n"
        out += "\(name)_sum\(plain) \(sum)\n"
        out += "\(name)_count\(plain) \(count)\n"
        return out
    }
}
