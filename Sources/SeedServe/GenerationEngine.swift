import Foundation
import SeedModel
import SeedTensor

/// Runs the model for every request on one dedicated thread, with continuous batching.
///
/// Each step takes the next token of every decoding sequence plus, when a prompt is waiting, the next chunk
/// of that prompt, and runs them through the model in one `BatchedForward` pass: the weights are read once
/// per step however many sequences are active, and a long prompt advances a chunk at a time between
/// decoding steps instead of stalling the streams. Requests arrive from any task through `submit` and get
/// their tokens back through an `AsyncThrowingStream`, a step's tokens at a time from `EventDelivery`'s
/// thread; dropping the stream (a client that went away)
/// removes the sequence at the next step. The compute runs on the shared `ThreadPool`, never on the
/// server's event loops.
public final class GenerationEngine: @unchecked Sendable {
    public let model: LlamaModel
    /// Sequences decoded together; later requests wait for a place.
    public let maxBatch: Int
    /// Prompt tokens per step while sequences decode: larger chunks use the cores better, smaller ones stall
    /// the streams less.
    public let prefillChunk: Int
    /// Prompt tokens per step when no sequence is decoding, so none would stall: enough rows for the packed
    /// GEMM, which reads a GPT-2-small-sized prompt at 1.5 times the speed of 128-row steps. Scoring
    /// requests (lm-evaluation-harness's `echo` with log-probabilities, one token generated) are all
    /// prompt, and read that way from start to end.
    public let idlePrefillChunk: Int
    /// The KV caches of generated answers; scored prompts keep float32, so that their log-probabilities
    /// stay those of the full forward pass.
    public let kvPrecision: KVCache.Precision

    /// Multiply-adds below which a step runs on the engine's thread alone. In a server the engine shares
    /// the cores with the HTTP side, and a small step split over two threads costs twice the CPU for a
    /// fraction less time: the workers spin and join once per kernel, and a worker that the OS gives to an
    /// I/O thread stalls the whole step. Eight sequences of the demo model (7M multiply-adds) take 0.36 ms
    /// alone on two threads and 0.46–0.6 on one, but inside the server 0.8–1.0 ms on one thread against
    /// 1.2–1.4 on two; the server's tokens/s rose by a quarter to a third with one stream and with eight.
    /// A GPT-2-small token (85M) is still split: it reads 500 MB of weights, and two cores read faster.
    static let parallelStepWork = 16 << 20

    /// The threads that run a step of `rows` tokens: the engine's own alone below `parallelStepWork`.
    public static func pool(forRows rows: Int, of model: LlamaModel) -> ThreadPool {
        rows * model.matmulParameterCount < parallelStepWork ? .inline : .shared
    }

    private let forward: BatchedForward
    private let delivery = EventDelivery()
    private let condition = NSCondition()
    // Shared with submitting threads, under `condition`.
    private var incoming: [Sequence] = []
    private var cancelled: Set<Int> = []
    private var nextId = 0
    private var stopping = false
    private var counts = (active: 0, waiting: 0)
    private var totals = EngineStatistics()
    // The engine thread's own.
    private var waiting: [Sequence] = []
    private var active: [Sequence] = []

    /// The nice value of the engine's thread: Linux only, nil elsewhere.
    public private(set) var threadNice: Int32?

    /// `nice`, when given, is asked for on the engine's thread (see `ServerConfiguration.engineNice`).
    public init(model: LlamaModel, maxBatch: Int = 16, prefillChunk: Int = 128, idlePrefillChunk: Int = 512, nice: Int32? = nil,
                kvPrecision: KVCache.Precision = .float32) {
        self.model = model
        self.maxBatch = max(1, maxBatch)
        self.prefillChunk = max(1, prefillChunk)
        self.idlePrefillChunk = max(self.prefillChunk, idlePrefillChunk)
        self.kvPrecision = kvPrecision
        forward = BatchedForward(model: model, rowCapacity: max(self.maxBatch + self.prefillChunk, self.idlePrefillChunk))
        let started = DispatchSemaphore(value: 0)
        // The thread holds the engine until `stop` ends its loop: an engine dropped right after `init`
        // must not vanish under a thread that has not reached its loop yet.
        let thread = Thread { [self] in
            self.threadNice = Self.setThreadNice(nice)
            started.signal()
            self.loop()
        }
        thread.name = "seed-engine"
        thread.stackSize = 8 << 20
        thread.start()
        started.wait()
    }

    /// Asks for `nice` on the calling thread and returns the nice it runs at. On Linux a thread has a nice
    /// of its own; going below the current one needs root or CAP_SYS_NICE, and without them nothing changes.
    private static func setThreadNice(_ nice: Int32?) -> Int32? {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        if let nice { _ = setpriority(which, 0, nice) }
        return getpriority(which, 0)
        #else
        // Elsewhere PRIO_PROCESS names the whole process, not the thread.
        return nil
        #endif
    }

    /// Queues a sequence. The request must already be valid: a non-empty prompt of in-vocabulary tokens
    /// that, with `maxTokens`, fits the model's context.
    public func submit(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> {
        submit([request])[0]
    }

    /// Queues sequences together: the engine admits them in one step (as room allows), so that the choices
    /// of one request, which share their prompt, read it once.
    public func submit(_ requests: [GenerationRequest]) -> [AsyncThrowingStream<GenerationEvent, Error>] {
        let made = requests.map { _ in AsyncThrowingStream<GenerationEvent, Error>.makeStream() }
        condition.lock()
        let first = nextId
        nextId += requests.count
        let refused = stopping
        if !refused {
            for (k, request) in requests.enumerated() {
                incoming.append(Sequence(id: first + k, request: request, continuation: made[k].continuation))
            }
            counts.waiting += requests.count
            condition.signal()
        }
        condition.unlock()
        for (k, (_, continuation)) in made.enumerated() {
            if refused {
                continuation.finish(throwing: APIError.internal("the server is shutting down"))
                continue
            }
            let id = first + k
            continuation.onTermination = { [weak self] termination in
                guard case .cancelled = termination, let self else { return }
                self.condition.lock()
                self.cancelled.insert(id)
                self.condition.signal()
                self.condition.unlock()
            }
        }
        return made.map(\.stream)
    }

    /// Sequences being decoded and sequences waiting for a place, for /metrics.
    public var load: (active: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return counts
    }

    /// Ends every sequence and the engine's thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while incoming.isEmpty && active.isEmpty && waiting.isEmpty && cancelled.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                for s in active + waiting + incoming { delivery.finish(s.continuation, throwing: APIError.internal("the server is shutting down")) }
                delivery.close()
                return
            }
            waiting += incoming
            incoming = []
            let dropped = cancelled
            cancelled = []
            condition.unlock()

            if !dropped.isEmpty {
                // Marked finished, not only removed: a sequence waiting for a dropped reader reads for itself.
                for s in active + waiting where dropped.contains(s.id) { s.finished = true }
                active.removeAll { $0.finished }
                waiting.removeAll { $0.finished }
            }
            while active.count < maxBatch, !waiting.isEmpty {
                let s = waiting.removeFirst()
                // The cache is cut to the context anyway; bounding max_tokens first keeps the sum from overflowing.
                let answer = min(s.request.maxTokens, model.config.context)
                s.cache = KVCache(config: model.config, capacity: s.request.prompt.count + max(0, answer - 1),
                                  precision: s.request.scorePrompt ? .float32 : kvPrecision)
                if let reader = promptReader(for: s) {
                    s.sharedReader = reader
                    reader.sharers.append(s)
                } else if let (source, count) = sharedPrefix(for: s) {
                    s.cache?.copyPrefix(of: source, count: count)
                    s.prefilled = count
                }
                active.append(s)
            }
            // Counted before the step as well as after: a step yields tokens, and a client that has read
            // one must already see its sequence as active.
            publishCounts()
            var finished: StepRecord?
            if !active.isEmpty {
                let started = ContinuousClock.now
                let rows = step()
                // A step whose every chunk failed its checks ran nothing: it is not one for the statistics.
                if rows.decoding + rows.prompt > 0 { finished = StepRecord(rows: rows, seconds: (ContinuousClock.now - started).seconds) }
            }
            publishCounts(adding: finished)
            delivery.send()
        }
    }

    /// What the engine's steps have done since it started, for /metrics and `seed bench serve`.
    public var statistics: EngineStatistics {
        condition.lock()
        defer { condition.unlock() }
        return totals
    }

    private struct StepRecord {
        var rows: (decoding: Int, prompt: Int)
        var seconds: Double
    }

    /// Publishes the sequence counts and, after a step, adds it to the totals (one lock for both).
    private func publishCounts(adding step: StepRecord? = nil) {
        condition.lock()
        counts = (active.count, waiting.count + incoming.count)
        if let step { totals.add(decoding: step.rows.decoding, prompt: step.rows.prompt, seconds: step.seconds) }
        condition.unlock()
    }

    /// One forward pass: the pending token of every decoding sequence and the next chunks of the prompts
    /// still being read. Returns how many rows of each kind it ran.
    private func step() -> (decoding: Int, prompt: Int) {
        var chunks: [SequenceChunk] = []
        var owners: [Sequence] = []
        // A chunk that the forward pass would refuse fails its own sequence, not the whole step.
        func add(_ chunk: SequenceChunk, of s: Sequence) -> Bool {
            do { try forward.check(chunk) } catch {
                fail(s, error)
                return false
            }
            chunks.append(chunk)
            owners.append(s)
            return true
        }
        for s in active {
            guard let token = s.pendingToken, let cache = s.cache else { continue }
            // A request that reaches its cache's end (the engine's callers check the context first) ends there,
            // as an answer that ran out of room does.
            if cache.length >= cache.capacity {
                finish(s, .length)
                continue
            }
            _ = add(SequenceChunk(cache: cache, tokens: [token], logits: .last), of: s)
        }
        // Prompts still being read share `prefillChunk` tokens, oldest first: eight short prompts that
        // arrive together start in one step instead of eight.
        var reading: [ObjectIdentifier: Range<Int>] = [:]
        let prefill = chunks.isEmpty ? idlePrefillChunk : prefillChunk
        var budget = prefill
        for s in active where budget > 0 && !s.finished && s.prefilled < s.request.prompt.count {
            if let reader = s.sharedReader {
                // Waits for the sequence that reads the same prompt, unless that one went away.
                if !reader.finished { continue }
                s.sharedReader = nil
            }
            guard let cache = s.cache else { continue }
            let prompt = s.request.prompt
            let end = min(prompt.count, s.prefilled + budget)
            let logits: SequenceChunk.Logits = s.request.scorePrompt ? .all : (end == prompt.count ? .last : .none)
            guard add(SequenceChunk(cache: cache, tokens: Array(prompt[s.prefilled..<end]), logits: logits), of: s) else { continue }
            reading[ObjectIdentifier(s)] = s.prefilled..<end
            budget -= end - s.prefilled
        }
        let rows = (decoding: chunks.count - reading.count, prompt: prefill - budget)
        if chunks.isEmpty {
            active.removeAll { $0.finished }
            return rows
        }
        let pool = Self.pool(forRows: rows.decoding + rows.prompt, of: model)
        let ranges: [Range<Int>]
        do {
            ranges = try forward.run(chunks, pool: pool)
        } catch {
            for s in owners { fail(s, error) }
            active.removeAll { $0.finished }
            return rows
        }
        let vocabulary = model.config.vocabSize
        func row(_ r: Int) -> UnsafeBufferPointer<Float> {
            UnsafeBufferPointer(start: forward.logits.pointer + r * vocabulary, count: vocabulary)
        }
        for (s, range) in zip(owners, ranges) {
            if let read = reading[ObjectIdentifier(s)] {
                s.prefilled = read.upperBound
                if s.request.scorePrompt { score(s, positions: read, rows: range, row) }
                if s.prefilled == s.request.prompt.count {
                    if s.request.scorePrompt { delivery.yield(s.continuation, .prompt(s.scoredPrompt)) }
                    let last = row(range.upperBound - 1)
                    advance(s, logits: last)
                    startSharers(of: s, logits: last)
                }
            } else {
                advance(s, logits: row(range.lowerBound))
            }
        }
        active.removeAll { $0.finished }
        return rows
    }

    /// An active sequence still reading the same prompt as `s`, which `s` can then take instead of reading
    /// it again: the choices of a request with `n` > 1, or identical requests that meet. Prompts whose
    /// every position is scored (echo) are read by each.
    private func promptReader(for s: Sequence) -> Sequence? {
        guard !s.request.scorePrompt else { return nil }
        return active.first { r in
            r.sharedReader == nil && !r.finished && !r.request.scorePrompt && r.prefilled < r.request.prompt.count
                && r.request.prompt == s.request.prompt
        }
    }

    /// The longest start of `s`'s prompt that an active sequence has already read into its cache, short of
    /// the prompt's last token (whose logits `s` needs): `s` copies those positions' keys and values instead
    /// of reading them. Identical requests a moment apart (eight clients that start together reach the
    /// engine over a millisecond or two) and chats that share a system prompt then read only what differs.
    /// The copied positions carry the reader's bits, which are those `s` would compute itself when both
    /// read those positions in steps of the same kind (up to 128 rows, the decoding kernel; the GEMM above).
    private func sharedPrefix(for s: Sequence) -> (source: KVCache, count: Int)? {
        guard !s.request.scorePrompt else { return nil }
        let prompt = s.request.prompt
        var best: (source: KVCache, count: Int)?
        for r in active where !r.finished && !r.request.scorePrompt && r.sharedReader == nil {
            guard let cache = r.cache else { continue }
            let limit = min(r.prefilled, prompt.count - 1)
            var n = 0
            while n < limit && r.request.prompt[n] == prompt[n] { n += 1 }
            if n > (best?.count ?? 0) { best = (cache, n) }
        }
        return best
    }

    /// The sequences that waited for `reader`'s prompt take its cache and its last position's logits, so
    /// each gets the very bits it would have computed reading the prompt in the same pieces.
    private func startSharers(of reader: Sequence, logits: UnsafeBufferPointer<Float>) {
        let count = reader.request.prompt.count
        // Only those still waiting for this reader: one that saw it fail has started reading for itself.
        for s in reader.sharers where !s.finished && s.sharedReader === reader {
            guard let cache = s.cache, let source = reader.cache else { continue }
            cache.copyPrefix(of: source, count: count)
            s.prefilled = count
            s.sharedReader = nil
            advance(s, logits: logits)
        }
        reader.sharers = []
    }

    /// Scores prompt tokens: the logits after position p predict the token at p + 1. Each row's normalizer
    /// sums the whole vocabulary in Double: a 512-token chunk of a 50k vocabulary is 26M exponentials, a
    /// tenth of a scoring request's time on one thread, so large chunks are split over the cores.
    private func score(_ s: Sequence, positions: Range<Int>, rows: Range<Int>, _ row: (Int) -> UnsafeBufferPointer<Float>) {
        let prompt = s.request.prompt
        if positions.lowerBound == 0 { s.scoredPrompt.append(ScoredToken(token: prompt[0], logprob: nil, top: [])) }
        let pairs = Array(zip(positions, rows).filter { $0.0 + 1 < prompt.count })
        let k = s.request.topLogprobs ?? 0
        var scored = [ScoredToken](repeating: ScoredToken(token: 0, logprob: nil, top: []), count: pairs.count)
        let pool = pairs.count * model.config.vocabSize >= 1 << 20 ? ThreadPool.shared : .inline
        let pieces = min(pairs.count, pool.threadCount * 4)
        scored.withUnsafeMutableBufferPointer { out in
            pool.parallelFor(pieces) { piece in
                for i in (pairs.count * piece / pieces)..<(pairs.count * (piece + 1) / pieces) {
                    let (position, r) = pairs[i]
                    let distribution = LogProbabilities(row(r))
                    let token = prompt[position + 1]
                    let top = distribution.top(k).map { TokenLogprob(token: $0.token, logprob: $0.logprob) }
                    out[i] = ScoredToken(token: token, logprob: distribution.of(token), top: top)
                }
            }
        }
        s.scoredPrompt.append(contentsOf: scored)
    }

    /// Draws the next token from `logits`, reports it, and ends the sequence at a stop token or its limit.
    private func advance(_ s: Sequence, logits: UnsafeBufferPointer<Float>) {
        s.pendingToken = nil
        guard s.generated < s.request.maxTokens else { return finish(s, .length) }
        let token = s.sampler.sample(logits)
        var scored = ScoredToken(token: token, logprob: nil, top: [])
        if let k = s.request.topLogprobs {
            let distribution = LogProbabilities(logits)
            scored.logprob = distribution.of(token)
            scored.top = distribution.top(k).map { TokenLogprob(token: $0.token, logprob: $0.logprob) }
        }
        if s.request.stopTokens.contains(token) {
            delivery.yield(s.continuation, .endToken(scored))
            return finish(s, .stop)
        }
        delivery.yield(s.continuation, .token(scored))
        s.generated += 1
        if s.generated >= s.request.maxTokens { return finish(s, .length) }
        s.pendingToken = token
    }

    private func finish(_ s: Sequence, _ reason: FinishReason) {
        s.finished = true
        delivery.yield(s.continuation, .finished(reason))
        delivery.finish(s.continuation)
    }

    private func fail(_ s: Sequence, _ error: Error) {
        s.finished = true
        delivery.finish(s.continuation, throwing: APIError.internal("generation failed: \(error)"))
    }
}

/// A request's state inside the engine.
private final class Sequence {
    let id: Int
    let request: GenerationRequest
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    var sampler: Sampler
    var cache: KVCache?
    var prefilled = 0
    var scoredPrompt: [ScoredToken] = []
    var pendingToken: Int32?
    var generated = 0
    var finished = false
    /// The sequence whose reading of the same prompt this one waits for, and those waiting for this one's.
    /// Weak one way: sequences dropped together (a cancelled `n` > 1 request) must not keep each other,
    /// and their caches, alive; a reader that is gone is one that went away.
    weak var sharedReader: Sequence?
    var sharers: [Sequence] = []

    init(id: Int, request: GenerationRequest, continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) {
        self.id = id
        self.request = request
        self.continuation = continuation
        sampler = Sampler(request.sampling)
    }
}
