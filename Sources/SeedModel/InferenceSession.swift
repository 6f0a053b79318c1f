import SeedTensor

public enum InferenceError: Error, CustomStringConvertible {
    case contextFull(capacity: Int)
    case tokenOutOfRange(Int32, vocabulary: Int)
    case emptyPrompt
    case batchTooLarge(Int, capacity: Int)

    public var description: String {
        switch self {
        case .contextFull(let capacity): return "the context of \(capacity) tokens is full; use a shorter prompt or fewer new tokens"
        case .tokenOutOfRange(let id, let vocabulary): return "token id \(id) is outside the model's vocabulary of \(vocabulary)"
        case .emptyPrompt: return "the prompt is empty; give at least one token"
        case .batchTooLarge(let rows, let capacity): return "a step of \(rows) tokens exceeds the \(capacity) rows the batch was sized for; split it"
        }
    }
}

/// Incremental inference: feeds tokens through the model, keeping their keys and values, and returns the
/// logits of the last one. Feeding a prompt in one call and then one token per call gives the same logits
/// as a full forward pass over the whole sequence (with a float16 cache, those of the same pass on keys and
/// values rounded to float16).
public final class InferenceSession {
    public let model: LlamaModel
    public let cache: KVCache
    private let forward: BatchedForward

    public init(model: LlamaModel, capacity: Int? = nil, chunk: Int = 64, precision: KVCache.Precision = .float32) {
        self.model = model
        cache = KVCache(config: model.config, capacity: min(capacity ?? model.config.context, model.config.context), precision: precision)
        forward = BatchedForward(model: model, rowCapacity: chunk)
    }

    public func reset() { cache.reset() }

    /// Appends `tokens` to the sequence and returns the next-token logits after the last of them.
    @discardableResult
    public func feed(_ tokens: [Int32]) throws -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw InferenceError.emptyPrompt }
        guard cache.length + tokens.count <= cache.capacity else { throw InferenceError.contextFull(capacity: cache.capacity) }
        for t in tokens where t < 0 || Int(t) >= model.config.vocabSize {
            throw InferenceError.tokenOutOfRange(t, vocabulary: model.config.vocabSize)
        }
        var start = 0
        while start < tokens.count {
            let end = min(start + forward.rowCapacity, tokens.count)
            _ = try forward.run([SequenceChunk(cache: cache, tokens: Array(tokens[start..<end]), logits: end == tokens.count ? .last : .none)])
            start = end
        }
        return UnsafeBufferPointer(start: forward.logits.pointer, count: model.config.vocabSize)
    }
}
