import SeedTensor

/// Keys and values of the tokens seen so far, per layer, for decoding one token at a time.
public final class KVCache {
    public let capacity: Int
    public private(set) var length = 0
    let keys: [FloatBuffer]
    let values: [FloatBuffer]
    let rowWidth: Int

    init(config: LlamaConfig, capacity: Int) {
        self.capacity = capacity
        rowWidth = config.kvHeads * config.headDim
        keys = (0..<config.layers).map { _ in FloatBuffer(count: capacity * config.kvHeads * config.headDim) }
        values = (0..<config.layers).map { _ in FloatBuffer(count: capacity * config.kvHeads * config.headDim) }
    }

    public func reset() { length = 0 }
    func advance(by n: Int) { length += n }
}

public enum InferenceError: Error, CustomStringConvertible {
    case contextFull(capacity: Int)
    case tokenOutOfRange(Int32, vocabulary: Int)
    case emptyPrompt

    public var description: String {
        switch self {
        case .contextFull(let capacity): return "the context of \(capacity) tokens is full; use a shorter prompt or fewer new tokens"
        case .tokenOutOfRange(let id, let vocabulary): return "token id \(id) is outside the model's vocabulary of \(vocabulary)"
        case .emptyPrompt: return "the prompt is empty; give at least one token"
        }
    }
}

/// Incremental inference: feeds tokens through the model, keeping their keys and values, and returns the
/// logits of the last one. Feeding a prompt in one call and then one token per call gives the same logits
/// as a full forward pass over the whole sequence.
public final class InferenceSession {
    public let model: LlamaModel
    public let cache: KVCache
    private let chunk: Int
    private let x: FloatBuffer, normed: FloatBuffer, qkv: FloatBuffer, attention: FloatBuffer
    private let gateUp: FloatBuffer, activated: FloatBuffer
    public let logits: FloatBuffer

    public init(model: LlamaModel, capacity: Int? = nil, chunk: Int = 64) {
        let c = model.config
        self.model = model
        cache = KVCache(config: c, capacity: min(capacity ?? c.context, c.context))
        self.chunk = chunk
        x = FloatBuffer(count: chunk * c.dim)
        normed = FloatBuffer(count: chunk * c.dim)
        qkv = FloatBuffer(count: chunk * (c.heads + 2 * c.kvHeads) * c.headDim)
        attention = FloatBuffer(count: chunk * c.heads * c.headDim)
        gateUp = FloatBuffer(count: chunk * 2 * c.hidden)
        activated = FloatBuffer(count: chunk * c.hidden)
        logits = FloatBuffer(count: c.vocabSize)
    }

    public func reset() { cache.reset() }

    /// Appends `tokens` to the sequence and returns the next-token logits after the last of them.
    @discardableResult
    public func feed(_ tokens: [Int32]) throws -> UnsafeBufferPointer<Float> {
        guard cache.length + tokens.count <= cache.capacity else { throw InferenceError.contextFull(capacity: cache.capacity) }
        for t in tokens where t < 0 || Int(t) >= model.config.vocabSize {
            throw InferenceError.tokenOutOfRange(t, vocabulary: model.config.vocabSize)
        }
        var start = 0
        while start < tokens.count {
            let n = min(chunk, tokens.count - start)
            forwardChunk(Array(tokens[start..<(start + n)]))
            start += n
        }
        return UnsafeBufferPointer(start: logits.pointer, count: logits.count)
    }

    private func forwardChunk(_ tokens: [Int32]) {
        let c = model.config
        let n = tokens.count, d = c.dim, hd = c.headDim
        let qDim = c.heads * hd, kvDim = c.kvHeads * hd, qkvDim = qDim + 2 * kvDim
        let position = cache.length
        let embedding = model.pointer(model.layout.embedding)
        for (i, t) in tokens.enumerated() { (x.pointer + i * d).update(from: embedding + Int(t) * d, count: d) }
        for (l, block) in model.layout.blocks.enumerated() {
            RMSNorm.forward(x: x.pointer, weight: model.pointer(block.attentionNorm), out: normed.pointer, rstd: nil,
                            rows: n, dim: d, eps: Float(c.normEps))
            Gemm.matmulTransposedB(normed.pointer, model.pointer(block.qkv), qkv.pointer, m: n, n: qkvDim, k: d)
            model.rope.forward(qkv.pointer, batch: 1, seqLen: n, heads: c.heads, stride: qkvDim, positionOffset: position)
            model.rope.forward(qkv.pointer + qDim, batch: 1, seqLen: n, heads: c.kvHeads, stride: qkvDim, positionOffset: position)
            let keys = cache.keys[l].pointer, values = cache.values[l].pointer
            for i in 0..<n {
                (keys + (position + i) * kvDim).update(from: qkv.pointer + i * qkvDim + qDim, count: kvDim)
                (values + (position + i) * kvDim).update(from: qkv.pointer + i * qkvDim + qDim + kvDim, count: kvDim)
            }
            Attention.forward(q: qkv.pointer, k: keys, v: values, out: attention.pointer, lse: nil, batch: 1,
                              queryLen: n, keyLen: position + n, kvCapacity: cache.capacity, qHeads: c.heads,
                              kvHeads: c.kvHeads, headDim: hd, qStride: qkvDim, kvStride: kvDim, outStride: qDim,
                              scale: 1 / Float(hd).squareRoot())
            Gemm.matmulTransposedB(attention.pointer, model.pointer(block.output), x.pointer, m: n, n: d, k: qDim, accumulate: true)
            RMSNorm.forward(x: x.pointer, weight: model.pointer(block.mlpNorm), out: normed.pointer, rstd: nil,
                            rows: n, dim: d, eps: Float(c.normEps))
            Gemm.matmulTransposedB(normed.pointer, model.pointer(block.gateUp), gateUp.pointer, m: n, n: 2 * c.hidden, k: d)
            Activations.swiGLUForward(gateUp: gateUp.pointer, out: activated.pointer, rows: n, hidden: c.hidden)
            Gemm.matmulTransposedB(activated.pointer, model.pointer(block.down), x.pointer, m: n, n: d, k: c.hidden, accumulate: true)
        }
        cache.advance(by: n)
        let last = x.pointer + (n - 1) * d
        RMSNorm.forward(x: last, weight: model.pointer(model.layout.finalNorm), out: normed.pointer, rstd: nil,
                        rows: 1, dim: d, eps: Float(c.normEps))
        Gemm.matmulTransposedB(normed.pointer, model.pointer(model.layout.head), logits.pointer, m: 1, n: c.vocabSize, k: d)
    }
}
