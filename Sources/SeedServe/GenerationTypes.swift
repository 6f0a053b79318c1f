import SeedModel

/// One sequence for the engine to run: a prompt in tokens, how to continue it, and what to report.
public struct GenerationRequest: Sendable {
    public var prompt: [Int32]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Tokens that end the answer, reported as `.endToken` (not text): the end-of-text and end-of-turn tokens.
    public var stopTokens: Set<Int32>
    /// With a value k, every generated token comes with its log-probability and the k most likely tokens.
    public var topLogprobs: Int?
    /// Report the log-probability of every prompt token (OpenAI's `echo` with `logprobs`).
    public var scorePrompt: Bool

    public init(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters, stopTokens: Set<Int32> = [],
                topLogprobs: Int? = nil, scorePrompt: Bool = false) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.topLogprobs = topLogprobs
        self.scorePrompt = scorePrompt
    }
}

/// A token with its log-probability under the model and the most likely alternatives at its position.
public struct ScoredToken: Sendable, Equatable {
    public var token: Int32
    /// nil for the first prompt token, which nothing predicts.
    public var logprob: Double?
    public var top: [TokenLogprob]
}

public struct TokenLogprob: Sendable, Equatable {
    public var token: Int32
    public var logprob: Double
}

public enum FinishReason: String, Sendable {
    /// A stop token or stop string ended the answer.
    case stop
    /// The answer reached max_tokens or the context.
    case length
}

/// What the engine reports for a sequence, in order: the scored prompt (if asked), tokens, the stop token
/// that ended the answer (if one did), the end.
public enum GenerationEvent: Sendable {
    case prompt([ScoredToken])
    case token(ScoredToken)
    /// A stop token: generated and scored like any token, but the end of the answer, not part of its text.
    /// vLLM lists it with the answer's log-probabilities, and lm-evaluation-harness counts on that entry.
    case endToken(ScoredToken)
    case finished(FinishReason)
}

/// Totals of the engine's steps. The step time against the batch's size is what tells an operator whether
/// the model or the HTTP side limits a busy server: `seed bench serve` compares it with the same step run
/// alone.
public struct EngineStatistics: Sendable, Equatable {
    /// Upper bounds of the step-time buckets, in seconds: a tiny model's decoding step to a long prompt chunk.
    public static let stepBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    public var steps = 0
    public var seconds = 0.0
    /// Sequences that decoded a token, summed over steps.
    public var decodingRows = 0
    /// Prompt tokens read, summed over steps.
    public var promptRows = 0
    /// Steps that took at most `stepBuckets[i]`, cumulative as Prometheus counts them.
    public var bucketCounts = [Int](repeating: 0, count: stepBuckets.count)

    mutating func add(decoding: Int, prompt: Int, seconds: Double) {
        steps += 1
        self.seconds += seconds
        decodingRows += decoding
        promptRows += prompt
        for (i, bound) in Self.stepBuckets.enumerated() where seconds <= bound { bucketCounts[i] += 1 }
    }

    /// What happened between `earlier` and this snapshot.
    public func since(_ earlier: EngineStatistics) -> EngineStatistics {
        EngineStatistics(steps: steps - earlier.steps, seconds: seconds - earlier.seconds,
                         decodingRows: decodingRows - earlier.decodingRows, promptRows: promptRows - earlier.promptRows,
                         bucketCounts: zip(bucketCounts, earlier.bucketCounts).map { $0 - $1 })
    }
}
