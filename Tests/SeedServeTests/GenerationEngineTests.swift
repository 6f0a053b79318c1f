import Foundation
import SeedModel
@testable import SeedServe
import SeedTokenizer
import XCTest

final class GenerationEngineTests: XCTestCase {
    var folder: URL!
    var served: ServedModel!

    override func setUpWithError() throws {
        folder = try TinyModel.bpeFolder()
        served = try ServedModel.load(folder: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>)
        async throws -> (tokens: [Int32], prompt: [ScoredToken], reason: FinishReason?, end: ScoredToken?) {
        var tokens: [Int32] = [], prompt: [ScoredToken] = [], reason: FinishReason?, end: ScoredToken?
        for try await event in stream {
            switch event {
            case .prompt(let scored): prompt = scored
            case .token(let scored): tokens.append(scored.token)
            case .endToken(let scored): end = scored
            case .finished(let r): reason = r
            }
        }
        return (tokens, prompt, reason, end)
    }

    /// Sequences batched together (different prompt lengths, prompts longer than a prefill chunk) produce
    /// what `Generator`, one sequence at a time, produces, with either precision of the KV caches.
    func testBatchedSequencesGenerateWhatEachGeneratesAlone() async throws {
        let prompts = ["The quick brown", "Paris is", "A server answers requests; a model predicts tokens. Seed", "Ünïcödé", "fox"]
            .map { served.tokenizer.encode($0) }
        let sampled = SamplingParameters(temperature: 0.9, seed: 5)
        for precision in KVCache.Precision.allCases {
            let engine = GenerationEngine(model: served.model, maxBatch: 3, prefillChunk: 5, idlePrefillChunk: 5, kvPrecision: precision)
            defer { engine.stop() }
            let results = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
                for (i, prompt) in prompts.enumerated() {
                    let stream = engine.submit(GenerationRequest(prompt: prompt, maxTokens: 12, sampling: sampled))
                    group.addTask { (i, try await self.collect(stream).tokens) }
                }
                var results = [[Int32]](repeating: [], count: prompts.count)
                for try await (i, tokens) in group { results[i] = tokens }
                return results
            }
            for (prompt, tokens) in zip(prompts, results) {
                let alone = try Generator(model: served.model, precision: precision).generate(prompt: prompt, maxTokens: 12, sampling: sampled)
                XCTAssertEqual(tokens, alone, "\(precision)")
            }
        }
    }

    /// Echoed prompt log-probabilities equal those computed token by token with an inference session.
    /// An engine whose answers use float16 caches still scores prompts in float32.
    func testPromptScoresMatchTheModelsOwnLogProbabilities() async throws {
        let engine = GenerationEngine(model: served.model, maxBatch: 4, prefillChunk: 4, idlePrefillChunk: 4, kvPrecision: .float16)
        defer { engine.stop() }
        let prompt = served.tokenizer.encode("Paris is the capital of France.")
        let result = try await collect(engine.submit(GenerationRequest(prompt: prompt, maxTokens: 1, sampling: SamplingParameters(temperature: 0),
                                                                          topLogprobs: 2, scorePrompt: true)))
        XCTAssertEqual(result.prompt.map(\.token), prompt)
        XCTAssertNil(result.prompt[0].logprob)
        XCTAssertEqual(result.reason, .length)
        let session = InferenceSession(model: served.model)
        for position in 1..<prompt.count {
            let logits = Array(try session.feed([prompt[position - 1]]))
            let expected = logits.withUnsafeBufferPointer { LogProbabilities($0).of(prompt[position]) }
            XCTAssertEqual(result.prompt[position].logprob!, expected)
            XCTAssertEqual(result.prompt[position].top.count, 2)
            XCTAssertGreaterThanOrEqual(result.prompt[position].top[0].logprob, result.prompt[position].logprob!)
        }
    }

    /// The step totals count what the steps ran: a prompt read in chunks, then one row per decoded token.
    func testStatisticsCountStepsAndRows() async throws {
        let engine = GenerationEngine(model: served.model, maxBatch: 4, prefillChunk: 4, idlePrefillChunk: 4)
        defer { engine.stop() }
        let prompt = served.tokenizer.encode("A server answers requests one token at a time")
        XCTAssertGreaterThan(prompt.count, 8)
        let result = try await collect(engine.submit(GenerationRequest(prompt: prompt, maxTokens: 5, sampling: SamplingParameters(temperature: 0))))
        XCTAssertEqual(result.tokens.count, 5)
        // The last token is reported inside the step, before the step is counted.
        let expectedSteps = (prompt.count + 3) / 4 + 4
        let deadline = ContinuousClock.now + .seconds(5)
        while engine.statistics.steps < expectedSteps && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let totals = engine.statistics
        XCTAssertEqual(totals.steps, expectedSteps)
        XCTAssertEqual(totals.promptRows, prompt.count)
        XCTAssertEqual(totals.decodingRows, 4)
        XCTAssertGreaterThan(totals.seconds, 0)
        XCTAssertEqual(totals.bucketCounts, totals.bucketCounts.sorted(), "buckets are cumulative")
        XCTAssertLessThanOrEqual(totals.bucketCounts.last!, totals.steps)
        XCTAssertEqual(totals.since(totals), EngineStatistics())
    }

    /// While nothing decodes, a prompt is read in the larger idle pieces: a 20-token prompt in three steps of
    /// at most 8 tokens, the first token coming from the last of them.
    func testPromptsAreReadInLargerPiecesWhileNothingDecodes() async throws {
        let engine = GenerationEngine(model: served.model, maxBatch: 4, prefillChunk: 2, idlePrefillChunk: 8)
        defer { engine.stop() }
        let prompt = Array(served.tokenizer.encode("A server answers requests one token at a time, and reads prompts in chunks").prefix(20))
        XCTAssertEqual(prompt.count, 20)
        let result = try await collect(engine.submit(GenerationRequest(prompt: prompt, maxTokens: 1, sampling: SamplingParameters(temperature: 0))))
        XCTAssertEqual(result.tokens.count, 1)
        let deadline = ContinuousClock.now + .seconds(5)
        while engine.statistics.steps < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(engine.statistics.steps, 3)
        XCTAssertEqual(engine.statistics.promptRows, 20)
        let alone = try Generator(model: served.model).generate(prompt: prompt, maxTokens: 1, sampling: SamplingParameters(temperature: 0))
        XCTAssertEqual(result.tokens, alone)
    }

    /// The engine's thread takes the nice it is given (a higher one needs no privilege) and leaves the
    /// caller's alone.
    func testTheEngineThreadTakesItsOwnNice() throws {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let callerBefore = getpriority(which, 0)
        let engine = GenerationEngine(model: served.model, nice: min(19, callerBefore + 3))
        defer { engine.stop() }
        XCTAssertEqual(engine.threadNice, min(19, callerBefore + 3))
        XCTAssertEqual(getpriority(which, 0), callerBefore)
        let plain = GenerationEngine(model: served.model)
        defer { plain.stop() }
        XCTAssertEqual(plain.threadNice, callerBefore)
        #endif
    }

    func testStopTokensEndTheAnswerAndMaxTokensZeroOnlyScores() async throws {
        let engine = GenerationEngine(model: served.model)
        defer { engine.stop() }
        let prompt = served.tokenizer.encode("The quick")
        let greedy = SamplingParameters(temperature: 0)
        let first = try await collect(engine.submit(GenerationRequest(prompt: prompt, maxTokens: 1, sampling: greedy))).tokens[0]
        let stopped = try await collect(engine.submit(GenerationRequest(prompt: prompt, maxTokens: 5, sampling: greedy, stopTokens: [first],
                                                                        topLogprobs: 1)))
        XCTAssertEqual(stopped.tokens, [])
        XCTAssertEqual(stopped.reason, .stop)
        // The stop token comes scored, for the log-probabilities that lm-evaluation-harness reads.
        XCTAssertEqual(stopped.end?.token, first)
        XCTAssertEqual(stopped.end?.top.first?.token, first)
        XCTAssertLessThan(stopped.end?.logprob ?? 1, 0)
        let scored = try await collect(engine.submit(GenerationRequest(prompt: prompt, maxTokens: 0, sampling: greedy, topLogprobs: 0, scorePrompt: true)))
        XCTAssertEqual(scored.tokens, [])
        XCTAssertEqual(scored.prompt.count, prompt.count)
        XCTAssertEqual(scored.reason, .length)
    }

    /// A consumer that stops listening removes its sequence: the engine goes back to idle.
    func testACancelledStreamLeavesTheBatch() async throws {
        let engine = GenerationEngine(model: served.model)
        defer { engine.stop() }
        let prompt = served.tokenizer.encode("The quick brown fox")
        let long = GenerationRequest(prompt: prompt, maxTokens: 80, sampling: SamplingParameters(temperature: 1, seed: 1))
        let task = Task {
            var count = 0
            for try await event in engine.submit(long) {
                if case .token = event { count += 1 }
                if count == 2 { break }
            }
        }
        try await task.value
        var load = engine.load
        for _ in 0..<200 where load.active + load.waiting > 0 {
            try await Task.sleep(for: .milliseconds(10))
            load = engine.load
        }
        XCTAssertEqual(load.active + load.waiting, 0)
    }

    /// A prompt long enough to be read in many small pieces.
    private var longPrompt: [Int32] {
        served.tokenizer.encode("A server answers requests one token at a time, reads prompts in pieces, and shares a prompt that several choices ask for at once.")
    }

    /// The tokens of `request` run alone on an engine that reads prompts `chunk` tokens a step.
    private func alone(_ request: GenerationRequest, chunk: Int, model: LlamaModel? = nil, precision: KVCache.Precision = .float32)
        async throws -> [Int32] {
        let engine = GenerationEngine(model: model ?? served.model, maxBatch: 1, prefillChunk: chunk, idlePrefillChunk: chunk,
                                      kvPrecision: precision)
        defer { engine.stop() }
        return try await collect(engine.submit(request)).tokens
    }

    /// Sequences submitted together with the same prompt (the choices of a request with n > 1) read it
    /// once: the others take the reader's cache and its last logits, and each answer is, bit for bit, the
    /// one it gets alone (greedy and seeded sampling, different lengths).
    func testSequencesWithTheSamePromptReadItOnce() async throws {
        let engine = GenerationEngine(model: served.model, maxBatch: 8, prefillChunk: 2, idlePrefillChunk: 2)
        defer { engine.stop() }
        let prompt = longPrompt
        XCTAssertGreaterThan(prompt.count, 20)
        let requests = (0..<4).map { j in
            GenerationRequest(prompt: prompt, maxTokens: 5 + j, sampling: j == 0 ? SamplingParameters(temperature: 0) : SamplingParameters(temperature: 1, seed: UInt64(j)))
        }
        let streams = engine.submit(requests)
        var results: [[Int32]] = []
        for stream in streams { results.append(try await collect(stream).tokens) }
        for (request, tokens) in zip(requests, results) {
            XCTAssertEqual(tokens.count, request.maxTokens)
            let expected = try await alone(request, chunk: 2)
            XCTAssertEqual(tokens, expected)
        }
        // Each sequence's first token comes with the prompt; the others are one decoding row each.
        let decoded = requests.reduce(0) { $0 + $1.maxTokens - 1 }
        let deadline = ContinuousClock.now + .seconds(5)
        while engine.statistics.decodingRows < decoded && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(engine.statistics.decodingRows, decoded)
        XCTAssertEqual(engine.statistics.promptRows, prompt.count, "the prompt was read once for four sequences")
    }

    /// A sequence whose prompt starts like one that an active sequence has read copies those positions and
    /// reads only the rest: the same request a moment later reads its last token again (whose logits it
    /// needs), a longer one only what it adds; each answer is the one it gets alone.
    func testAPromptThatAnActiveSequenceHasReadIsCopied() async throws {
        let longFolder = try TinyModel.bpeFolder(context: 1024)
        defer { try? FileManager.default.removeItem(at: longFolder) }
        let long = try ServedModel.load(folder: longFolder)
        let engine = GenerationEngine(model: long.model, maxBatch: 4, prefillChunk: 4, idlePrefillChunk: 4, kvPrecision: .float16)
        defer { engine.stop() }
        let prompt = long.tokenizer.encode("A server answers requests one token at a time, reads prompts in pieces, and shares them.")
        // Hundreds of tokens of a tiny model: still decoding while the others come and go.
        var first = engine.submit(GenerationRequest(prompt: prompt, maxTokens: 900, sampling: SamplingParameters(temperature: 0)))
            .makeAsyncIterator()
        _ = try await first.next()
        let again = GenerationRequest(prompt: prompt, maxTokens: 6, sampling: SamplingParameters(temperature: 1, seed: 3))
        let extended = GenerationRequest(prompt: prompt + long.tokenizer.encode(" Then it answers."), maxTokens: 6,
                                         sampling: SamplingParameters(temperature: 0))
        let answers = [try await collect(engine.submit(again)).tokens, try await collect(engine.submit(extended)).tokens]
        XCTAssertEqual(engine.load.active, 1, "the first sequence must still be decoding")
        XCTAssertEqual(engine.statistics.promptRows, prompt.count + 1 + (extended.prompt.count - prompt.count))
        for (request, tokens) in zip([again, extended], answers) {
            let expected = try await alone(request, chunk: 4, model: long.model, precision: .float16)
            XCTAssertEqual(tokens, expected)
        }
    }

    /// A sequence waiting for another's reading of its prompt reads it itself if that one goes away. Where
    /// the cancellation lands (before the reader is admitted, while it reads, after) depends on timing, so
    /// the reader is cancelled after several delays; the answer must be the same in every case.
    func testASequenceWhoseReaderIsCancelledStillGetsItsAnswer() async throws {
        let engine = GenerationEngine(model: served.model, maxBatch: 4, prefillChunk: 1, idlePrefillChunk: 1)
        defer { engine.stop() }
        let request = GenerationRequest(prompt: longPrompt, maxTokens: 4, sampling: SamplingParameters(temperature: 0))
        let expected = try await alone(request, chunk: 1)
        for delay in [0, 20, 100, 300, 1000] {
            let reader = Task { for try await _ in engine.submit(request) {} }
            let sharer = engine.submit(request)
            usleep(useconds_t(delay))
            reader.cancel()
            let tokens = try await collect(sharer).tokens
            XCTAssertEqual(tokens, expected, "reader cancelled after \(delay) µs")
        }
    }

    /// A sequence that the forward pass would refuse fails alone: the others of its step go on.
    func testASequenceThatCannotRunFailsAloneAndTheStepGoesOn() async throws {
        let engine = GenerationEngine(model: served.model)
        defer { engine.stop() }
        let greedy = SamplingParameters(temperature: 0)
        let good = GenerationRequest(prompt: served.tokenizer.encode("The quick"), maxTokens: 3, sampling: greedy)
        let bad = GenerationRequest(prompt: [1, Int32(served.model.config.vocabSize)], maxTokens: 3, sampling: greedy)
        let streams = engine.submit([bad, good])
        do {
            _ = try await collect(streams[0])
            XCTFail("a token outside the vocabulary cannot run")
        } catch let error as APIError {
            XCTAssertEqual(error.status, .internalServerError)
        }
        let answer = try await collect(streams[1])
        XCTAssertEqual(answer.tokens.count, 3)
        XCTAssertEqual(answer.reason, .length)
        let alone = try await collect(engine.submit(good))
        XCTAssertEqual(answer.tokens, alone.tokens)
    }
}
