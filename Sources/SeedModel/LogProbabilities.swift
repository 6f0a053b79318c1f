import Foundation

/// Log-probabilities of a next-token distribution, read from one row of logits: what an API reports as
/// `logprobs` and what evaluation sums. Computed in Double so that summing hundreds of them stays exact
/// to well below the 1e-4 that evaluations compare at.
public struct LogProbabilities {
    public let logits: UnsafeBufferPointer<Float>
    /// log Σ exp(logit) over the vocabulary.
    public let logNormalizer: Double

    public init(_ logits: UnsafeBufferPointer<Float>) {
        self.logits = logits
        let top = Double(logits.max() ?? 0)
        var sum = 0.0
        for l in logits { sum += Foundation.exp(Double(l) - top) }
        logNormalizer = top + Foundation.log(sum)
    }

    public func of(_ token: Int32) -> Double { Double(logits[Int(token)]) - logNormalizer }

    /// The `k` most likely tokens, most likely first; ties go to the lower id.
    public func top(_ k: Int) -> [(token: Int32, logprob: Double)] {
        guard k > 0 else { return [] }
        var best: [(token: Int32, logit: Float)] = []
        best.reserveCapacity(k + 1)
        for (i, l) in logits.enumerated() where best.count < k || l > best[best.count - 1].logit {
            let position = best.firstIndex { l > $0.logit } ?? best.count
            best.insert((Int32(i), l), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map { ($0.token, Double($0.logit) - logNormalizer) }
    }
}
