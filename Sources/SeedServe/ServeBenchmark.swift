import Foundation
import SeedModel
import SeedTensor
import SeedTokenizer

/// Speed of generation as `seed generate` runs it and as clients of the server see it.
public enum ServeBenchmark {
    public struct GenerateFigures: Sendable {
        public var decodeTokensPerSecond: Double
        /// Each timed read of the prompt, in tokens/s, in the order they ran.
        public var promptRuns: [Double]
        public var promptTokens: Int
        public var promptTokensPerSecond: Double { promptRuns.sorted()[promptRuns.count / 2] }
        /// Bytes of weights read per decoded token, and the machine's read bandwidth measured in the same run.
        public var bytesPerToken: Double
        public var bandwidthBytesPerSecond: Double
        public var bandwidthFraction: Double { decodeTokensPerSecond * bytesPerToken / bandwidthBytesPerSecond }
    }

    public struct ServerFigures: Sendable {
        public var streams: Int
        public var medianTimeToFirstToken: Double
        /// A stream's decoding rate (after its first token): all streams' decoded tokens over their decoding time.
        public var perStreamTokensPerSecond: Double
        /// All streams' tokens over the wall time of the whole run.
        public var totalTokensPerSecond: Double
        public var tokens: Int
    }

    /// `Generator`, the path of `seed generate`: greedy decoding of `decodeTokens` after a short prompt,
    /// and `promptRuns` reads of one prompt of `promptTokens` tokens into an empty cache, each timed after a
    /// warm-up. Five reads, as llama.cpp's figures in the training dossier were taken: one read of a 512-token
    /// prompt lasts under a second, and on this VM single reads varied by a fifth. `precision` is the KV cache's.
    public static func generate(model: LlamaModel, decodeTokens: Int, promptTokens: Int, promptRuns: Int = 5,
                                precision: KVCache.Precision) throws -> GenerateFigures {
        let c = model.config
        var random = SeededRandom(seed: 1)
        let prompt = (0..<min(promptTokens, c.context - 1)).map { _ in Int32(random.nextIndex(below: c.vocabSize)) }
        let decode = try decodeRate(model: model, decodeTokens: decodeTokens, precision: precision)

        let session = InferenceSession(model: model, chunk: 512, precision: precision)
        try session.feed(Array(prompt.prefix(32)))
        var rates: [Double] = []
        for _ in 0..<max(1, promptRuns) {
            session.reset()
            let started = ContinuousClock.now
            try session.feed(prompt)
            rates.append(Double(prompt.count) / (ContinuousClock.now - started).seconds)
        }
        return GenerateFigures(decodeTokensPerSecond: decode, promptRuns: rates, promptTokens: prompt.count,
                               bytesPerToken: Double(model.matmulParameterCount * MemoryLayout<Float>.size),
                               bandwidthBytesPerSecond: readBandwidth())
    }

    /// Tokens/s of greedy decoding as `seed generate` runs it: `decodeTokens` after a short prompt. Runs of a
    /// small model last milliseconds, where one preemption moves the figure: they repeat for half a second at
    /// least and every one counts.
    public static func decodeRate(model: LlamaModel, decodeTokens: Int, precision: KVCache.Precision) throws -> Double {
        let c = model.config
        var random = SeededRandom(seed: 1)
        let prompt = (0..<8).map { _ in Int32(random.nextIndex(below: c.vocabSize)) }
        let generator = Generator(model: model, precision: precision)
        let greedy = SamplingParameters(temperature: 0)
        let steps = min(decodeTokens, c.context - 9)
        _ = try generator.generate(prompt: prompt, maxTokens: 4, sampling: greedy)
        var tokens = 0, seconds = 0.0
        while seconds < 0.5 {
            var times: [ContinuousClock.Instant] = []
            try generator.generate(prompt: prompt, maxTokens: steps, sampling: greedy) { _ in
                times.append(.now)
                return true
            }
            tokens += times.count - 1
            seconds += (times.last! - times.first!).seconds
        }
        return Double(tokens) / seconds
    }

    /// One engine step of `rows` decoding sequences, each past a prompt of `position` tokens (attention's
    /// cost grows with it), on the threads the engine would give it: seconds per step, the median of
    /// `steps`. Against the one-row step this is what continuous batching can give at most.
    public static func batchedStep(model: LlamaModel, rows: Int, steps: Int = 12, position: Int = 32,
                                   precision: KVCache.Precision) throws -> Double {
        let c = model.config
        let prefix = max(1, min(position, c.context - steps - 2))
        let forward = BatchedForward(model: model, rowCapacity: max(rows, prefix))
        var random = SeededRandom(seed: 2)
        let caches = (0..<rows).map { _ in KVCache(config: c, capacity: prefix + steps + 2, precision: precision) }
        for cache in caches {
            let prompt = (0..<prefix).map { _ in Int32(random.nextIndex(below: c.vocabSize)) }
            _ = try forward.run([SequenceChunk(cache: cache, tokens: prompt, logits: .none)])
        }
        var times: [Double] = []
        let pool = GenerationEngine.pool(forRows: rows, of: model)
        for _ in 0...steps {
            let chunks = caches.map { SequenceChunk(cache: $0, tokens: [Int32(random.nextIndex(below: c.vocabSize))], logits: .last) }
            let started = ContinuousClock.now
            _ = try forward.run(chunks, pool: pool)
            times.append((ContinuousClock.now - started).seconds)
        }
        return times.dropFirst().sorted()[steps / 2]
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
    /// Rounds repeat until `minimumSeconds` have passed (one round at least), so that a small model's runs
    /// of a few milliseconds add up to a figure that one preemption does not move.
    public static func server(baseURL: URL, model: String, streams: Int, prompt: String, maxTokens: Int,
                              minimumSeconds: Double = 1) async throws -> ServerFigures {
        var results: [StreamTiming] = []
        var wall = 0.0
        repeat {
            let started = ContinuousClock.now
            results += try await withThrowingTaskGroup(of: StreamTiming.self) { group in
                for i in 0..<streams {
                    group.addTask { try await stream(baseURL: baseURL, model: model, prompt: prompt, maxTokens: maxTokens, seed: i) }
                }
                return try await group.reduce(into: [StreamTiming]()) { $0.append($1) }
            }
            wall += (ContinuousClock.now - started).seconds
        } while wall < minimumSeconds
        let ttfts = results.map(\.timeToFirstToken).sorted()
        // Summed before dividing: a stream whose tokens all came in one read has next to no decoding time,
        // and its own rate, averaged in, once gave 96,000 tokens/s per stream.
        let tokens = results.reduce(0) { $0 + $1.tokens }
        return ServerFigures(streams: streams, medianTimeToFirstToken: ttfts[ttfts.count / 2],
                             perStreamTokensPerSecond: Double(results.reduce(0) { $0 + max(0, $1.tokens - 1) })
                                 / max(1e-9, results.reduce(0) { $0 + $1.decodeSeconds }),
                             totalTokensPerSecond: Double(tokens) / wall, tokens: tokens)
    }

    struct StreamTiming: Sendable {
        var timeToFirstToken: Double
        var decodeSeconds: Double
        var tokens: Int
    }

    private static func stream(baseURL: URL, model: String, prompt: String, maxTokens: Int, seed: Int) async throws -> StreamTiming {
        let body: [String: Any] = ["model": model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "seed": seed,
                                   "stream": true, "stream_options": ["include_usage": true]]
        let data = try JSONSerialization.data(withJSONObject: body)
        let timer = StreamTimer(port: baseURL.port ?? 80)
        let path = baseURL.path + "/completions"
        // A blocking reader per stream, on a thread of its own, so that reading never waits on a busy pool.
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try timer.run(path: path, body: data) }) }
        }
    }
}
