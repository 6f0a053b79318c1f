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
///
/// A server samples every token of every stream on its one engine thread, from 50k-word vocabularies, so
/// neither filter sorts the whole vocabulary: top-k selects its k tokens first and sorts only those, and
/// top-p sorts only the tokens that can be in the nucleus (see `nucleus`). The draws are the ones a full
/// sort would give, bit for bit.
public struct Sampler {
    public let parameters: SamplingParameters
    private var random: SeededRandom
    // Scratch reused from token to token.
    private var candidates: [Int] = []
    private var weights: [Double] = []

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SeededRandom(seed: parameters.seed)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        if parameters.temperature <= 0 { return Int32(argmax(logits)) }
        candidates.removeAll(keepingCapacity: true)
        if let k = parameters.topK, k > 0, k < logits.count {
            candidates = Self.topK(logits, k)
        } else {
            candidates.append(contentsOf: 0..<logits.count)
        }
        let inverseTemperature = 1 / Double(parameters.temperature)
        var top = -Double.infinity
        for i in candidates { top = max(top, Double(logits[i])) }
        weights.removeAll(keepingCapacity: true)
        for i in candidates { weights.append(exp((Double(logits[i]) - top) * inverseTemperature)) }
        if let p = parameters.topP, p > 0, p < 1 {
            let keep = Self.nucleus(weights, p: Double(p))
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

    /// The k highest logits (ties to the lower index), highest first: the k-th highest value is selected
    /// in linear time, then only the tokens at or above it are sorted.
    static func topK(_ logits: UnsafeBufferPointer<Float>, _ k: Int) -> [Int] {
        var values = Array(logits)
        let kth = selectDescending(&values, k - 1)
        var chosen: [Int] = []
        chosen.reserveCapacity(k)
        for i in 0..<logits.count where logits[i] > kth { chosen.append(i) }
        for i in 0..<logits.count where chosen.count < k && logits[i] == kth { chosen.append(i) }
        chosen.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        return chosen
    }

    /// The value that would sit at `rank` if `values` were sorted highest first (Hoare's quickselect;
    /// reorders `values`).
    static func selectDescending(_ values: inout [Float], _ rank: Int) -> Float {
        var low = 0, high = values.count - 1
        while low < high {
            let pivot = values[low + (high - low) / 2]
            var i = low, j = high
            while i <= j {
                while values[i] > pivot { i += 1 }
                while values[j] < pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if rank <= j { high = j } else if rank >= i { low = i } else { break }
        }
        return values[rank]
    }

    /// Which weights the nucleus keeps: the heaviest, in order (ties to the lower index), until they reach
    /// `p` of the total. Weights below (1 - p) · total / count add up to less than (1 - p) · total, so the
    /// nucleus is complete before reaching them: only the rest is sorted. Should rounding leave that short,
    /// the whole list is sorted instead.
    static func nucleus(_ weights: [Double], p: Double) -> [Bool] {
        let total = weights.reduce(0, +)
        let floor = (1 - p) * total / Double(weights.count)
        var keep = [Bool](repeating: false, count: weights.count)
        for order in [weights.indices.filter { weights[$0] >= floor }, Array(weights.indices)] {
            let sorted = order.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
            var kept = 0.0
            for i in sorted {
                keep[i] = true
                kept += weights[i]
                if kept >= p * total { return keep }
            }
        }
        return keep
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
    /// `precision` is the KV cache's (see `KVCache`).
    public init(model: LlamaModel, precision: KVCache.Precision = .float32) {
        session = InferenceSession(model: model, chunk: 512, precision: precision)
    }

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
