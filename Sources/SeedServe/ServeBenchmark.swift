import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SeedModel
import SeedTensor
import SeedTokenizer

/// Speed of generation as `seed generate` runs it and as clients of the server see it.
public enum ServeBenchmark {
    public struct GenerateFigures: Sendable {
        public var decodeTokensPerSecond: Double
        public var promptTokensPerSecond: Double
        public var promptTokens: Int
        /// Bytes of weights read per decoded token, and the machine's read bandwidth measured in the same run.
        public var bytesPerToken: Double
        public var bandwidthBytesPerSecond: Double
        public var bandwidthFraction: Double { decodeTokensPerSecond * bytesPerToken / bandwidthBytesPerSecond }
    }

    public struct ServerFigures: Sendable {
        public var streams: Int
        public var medianTimeToFirstToken: Double
        /// Mean over streams of each stream's decoding rate (after its first token).
        public var perStreamTokensPerSecond: Double
        /// All streams' tokens over the wall time of the whole run.
        public var totalTokensPerSecond: Double
        public var tokens: Int
    }

    /// `Generator`, the path of `seed generate`: greedy decoding of `decodeTokens` after a short prompt,
    /// and one prompt of `promptTokens` tokens, each timed after a warm-up.
    public static func generate(model: LlamaModel, decodeTokens: Int, promptTokens: Int) throws -> GenerateFigures {
        let c = model.config
        var random = SeededRandom(seed: 1)
        let prompt = (0..<min(promptTokens, c.context - 1)).map { _ in Int32(random.nextIndex(below: c.vocabSize)) }
        let generator = Generator(model: model)
        let greedy = SamplingParameters(temperature: 0)
        let steps = min(decodeTokens, c.context - 9)
        var times: [ContinuousClock.Instant] = []
        _ = try generator.generate(prompt: Array(prompt.prefix(8)), maxTokens: 4, sampling: greedy)
        try generator.generate(prompt: Array(prompt.prefix(8)), maxTokens: steps, sampling: greedy) { _ in
            times.append(.now)
            return true
        }
        let decode = Double(times.count - 1) / (times.last! - times.first!).seconds

        let session = InferenceSession(model: model, chunk: 512)
        try session.feed(Array(prompt.prefix(32)))
        session.reset()
        let started = ContinuousClock.now
        try session.feed(prompt)
        let promptRate = Double(prompt.count) / (ContinuousClock.now - started).seconds
        return GenerateFigures(decodeTokensPerSecond: decode, promptTokensPerSecond: promptRate, promptTokens: prompt.count,
                               bytesPerToken: Double(model.matmulParameterCount * MemoryLayout<Float>.size),
                               bandwidthBytesPerSecond: readBandwidth())
    }

    /// Bytes per second that all cores read from a buffer far larger than the caches, summing as they go.
    public static func readBandwidth(bytes: Int = 1 << 30) -> Double {
        let floats = bytes / MemoryLayout<Float>.size
        let buffer = FloatBuffer(count: floats)
        let pool = ThreadPool.shared
        var best = 0.0
        for _ in 0..<3 {
            let started = ContinuousClock.now
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: pool.threadCount)
            defer { sums.deallocate() }
            pool.parallelFor(pool.threadCount) { t in
                let range = (floats * t / pool.threadCount)..<(floats * (t + 1) / pool.threadCount)
                var a = SIMD16<Float>(), b = SIMD16<Float>()
                let raw = UnsafeRawPointer(buffer.pointer)
                var i = range.lowerBound
                while i + 32 <= range.upperBound {
                    a += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                    b += raw.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
                    i += 32
                }
                sums[t] = (a + b).sum()
            }
            best = max(best, Double(bytes) / (ContinuousClock.now - started).seconds)
        }
        return best
    }

    /// `streams` concurrent streaming completions against a running server, each asking for `maxTokens`.
    public static func server(baseURL: URL, model: String, streams: Int, prompt: String, maxTokens: Int) async throws -> ServerFigures {
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: StreamTiming.self) { group in
            for i in 0..<streams {
                group.addTask { try await stream(baseURL: baseURL, model: model, prompt: prompt, maxTokens: maxTokens, seed: i) }
            }
            return try await group.reduce(into: [StreamTiming]()) { $0.append($1) }
        }
        let wall = (ContinuousClock.now - started).seconds
        let ttfts = results.map(\.timeToFirstToken).sorted()
        let rates = results.map { Double(max(0, $0.tokens - 1)) / max(1e-9, $0.decodeSeconds) }
        let tokens = results.reduce(0) { $0 + $1.tokens }
        return ServerFigures(streams: streams, medianTimeToFirstToken: ttfts[ttfts.count / 2],
                             perStreamTokensPerSecond: rates.reduce(0, +) / Double(rates.count),
                             totalTokensPerSecond: Double(tokens) / wall, tokens: tokens)
    }

    struct StreamTiming: Sendable {
        var timeToFirstToken: Double
        var decodeSeconds: Double
        var tokens: Int
    }

    private static func stream(baseURL: URL, model: String, prompt: String, maxTokens: Int, seed: Int) async throws -> StreamTiming {
        var request = URLRequest(url: baseURL.appendingPathComponent("completions"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body: [String: Any] = ["model": model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "seed": seed,
                                   "stream": true, "stream_options": ["include_usage": true]]
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let collector = EventCollector()
        let session = URLSession(configuration: .ephemeral, delegate: collector, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        return try await withCheckedThrowingContinuation { continuation in
            collector.finish = { continuation.resume(with: $0) }
            session.dataTask(with: request).resume()
        }
    }
}

/// Reads server-sent events as they arrive and times them: the first event with text, the last one,
/// and the token count from the closing usage event.
private final class EventCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    var finish: ((Result<ServeBenchmark.StreamTiming, Error>) -> Void)?
    private let started = ContinuousClock.now
    private var firstText: ContinuousClock.Instant?
    private var lastText: ContinuousClock.Instant?
    private var tokens = 0
    private var pending = Data()

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let now = ContinuousClock.now
        pending.append(data)
        while let end = pending.range(of: Data("\n\n".utf8)) {
            let event = pending[pending.startIndex..<end.lowerBound]
            pending.removeSubrange(pending.startIndex..<end.upperBound)
            guard event.starts(with: Data("data: {".utf8)),
                  let object = try? JSONSerialization.jsonObject(with: event.dropFirst(6)) as? [String: Any] else { continue }
            if let usage = object["usage"] as? [String: Any], let count = usage["completion_tokens"] as? Int { tokens = count }
            // Every token comes as an event of its own (its text may be empty: part of a character).
            if let choices = object["choices"] as? [[String: Any]], !choices.isEmpty {
                if firstText == nil { firstText = now }
                lastText = now
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error { finish?(.failure(error)); return }
        let first = firstText ?? .now, last = lastText ?? first
        finish?(.success(ServeBenchmark.StreamTiming(timeToFirstToken: (first - started).seconds, decodeSeconds: (last - first).seconds, tokens: tokens)))
    }
}
