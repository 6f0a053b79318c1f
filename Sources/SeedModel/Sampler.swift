import Foundation
import SeedTensor

/// How the next token is drawn from the logits. Temperature 0 is greedy decoding.
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?
    public var seed: UInt64

    public init(temperature: Float = 0.8, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }
}

/// Draws tokens: temperature scaling, then top-k, then top-p (nucleus) filtering, then a seeded draw.
public struct Sampler {
    public let parameters: SamplingParameters
    private var random: SeededRandom

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SeededRandom(seed: parameters.seed)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        if parameters.temperature <= 0 { return Int32(argmax(logits)) }
        var candidates = Array(0..<logits.count)
        if let k = parameters.topK, k > 0, k < logits.count {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates.removeLast(logits.count - k)
        }
        let inverseTemperature = 1 / Double(parameters.temperature)
        let top = candidates.map { Double(logits[$0]) }.max() ?? 0
        var weights = candidates.map { exp((Double(logits[$0]) - top) * inverseTemperature) }
        if let p = parameters.topP, p > 0, p < 1 {
            let order = weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
            let total = weights.reduce(0, +)
            var kept = 0.0
            var keep = [Bool](repeating: false, count: weights.count)
            for i in order {
                keep[i] = true
                kept += weights[i]
                if kept >= Double(p) * total { break }
            }
            for i in weights.indices where !keep[i] { weights[i] = 0 }
        }
        let total = weights.reduce(0, +)
        var target = random.nextUniform() * total
        for (i, w) in weights.enumerated() where w > 0 {
            target -= w
            if target < 0 { return Int32(candidates[i]) }
        }
        return Int32(candidates[weights.lastIndex { $0 > 0 } ?? 0])
    }

    private func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<x.count where x[i] > x[best] { best = i }
        return best
    }
}

/// Prompt in, tokens out, one at a time through `onToken` (which may return false to stop early).
public struct Generator {
    public let session: InferenceSession

    /// Prompts go through in chunks of 512 tokens: the packed GEMM's cost of packing the weights is then
    /// spread over enough rows to vanish, where a small chunk would re-pack them every few tokens.
    public init(model: LlamaModel) { session = InferenceSession(model: model, chunk: 512) }

    /// Generates up to `maxTokens` after `prompt`, stopping at any of `stopTokens`. Returns the new tokens.
    @discardableResult
    public func generate(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters, stopTokens: Set<Int32> = [],
                         onToken: (Int32) -> Bool = { _ in true }) throws -> [Int32] {
        guard !prompt.isEmpty else { throw InferenceError.emptyPrompt }
        session.reset()
        let room = session.cache.capacity - prompt.count
        guard room > 0 else { throw InferenceError.contextFull(capacity: session.cache.capacity) }
        var sampler = Sampler(sampling)
        var logits = try session.feed(prompt)
        var produced: [Int32] = []
        for _ in 0..<min(maxTokens, room) {
            let next = sampler.sample(logits)
            if stopTokens.contains(next) { break }
            produced.append(next)
            if !onToken(next) || produced.count == min(maxTokens, room) { break }
            logits = try session.feed([next])
        }
        return produced
    }
}
