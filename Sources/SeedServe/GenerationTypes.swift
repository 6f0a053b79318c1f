import SeedModel

/// One sequence for the engine to run: a prompt in tokens, how to continue it, and what to report.
public struct GenerationRequest: Sendable {
    public var prompt: [Int32]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Tokens that end the answer (not reported): the end-of-text and end-of-turn tokens.
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

/// What the engine reports for a sequence, in order: the scored prompt (if asked), tokens, the end.
public enum GenerationEvent: Sendable {
    case prompt([ScoredToken])
    case token(ScoredToken)
    case finished(FinishReason)
}
