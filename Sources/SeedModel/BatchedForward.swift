import SeedTensor

/// Tokens of one sequence to run through the model in a step, appended to that sequence's KV cache.
public struct SequenceChunk {
    /// Which next-token logits the caller needs: none (a prompt chunk that is not the last), the last
    /// token's (decoding), or every token's (scoring a prompt, as `echo` with log-probabilities asks).
    public enum Logits: Sendable { case none, last, all }

    public let cache: KVCache
    public let tokens: [Int32]
    public let logits: Logits

    public init(cache: KVCache, tokens: [Int32], logits: Logits) {
        self.cache = cache
        self.tokens = tokens
        self.logits = logits
    }
}

/// One forward pass over the tokens of several sequences at once, each with its own KV cache and position.
///
/// This is continuous batching's step: the rows of all sequences go through every weight matrix together,
/// so the weights (hundreds of MB, the cost of decoding) are read once per step instead of once per sequence;
/// only attention runs per sequence, on its own cache. A prompt chunk and single decoding tokens can share
/// a step. `InferenceSession` is this with one sequence.
public final class BatchedForward {
    public let model: LlamaModel
    /// The most tokens (over all chunks) that one step can take.
    public let rowCapacity: Int
    /// The matrices as decoding steps read them (see `DecodeWeights` for what the copy costs).
    private let panels: DecodeWeights
    private let x: FloatBuffer, normed: FloatBuffer, qkv: FloatBuffer, attention: FloatBuffer
    private let gateUp: FloatBuffer, activated: FloatBuffer
    /// Next-token logits of the rows that were asked for, one vocabulary-sized row each, chunk by chunk.
    /// Grown on demand: a long prompt chunk usually needs one row, and a row of a 50k vocabulary is 200 KB.
    public private(set) var logits: FloatBuffer

    public init(model: LlamaModel, rowCapacity: Int) {
        let c = model.config
        self.model = model
        self.rowCapacity = max(1, rowCapacity)
        let rows = self.rowCapacity
        panels = DecodeWeights(model: model)
        x = FloatBuffer(count: rows * c.dim, zeroed: false)
        normed = FloatBuffer(count: rows * c.dim, zeroed: false)
        qkv = FloatBuffer(count: rows * (c.heads + 2 * c.kvHeads) * c.headDim, zeroed: false)
        attention = FloatBuffer(count: rows * c.heads * c.headDim, zeroed: false)
        gateUp = FloatBuffer(count: rows * 2 * c.hidden, zeroed: false)
        activated = FloatBuffer(count: rows * c.hidden, zeroed: false)
        logits = FloatBuffer(count: c.vocabSize, zeroed: false)
    }

    /// The threads of the current `run`.
    private var pool = ThreadPool.shared

    /// Runs the chunks through the model and appends them to their caches. Returns, per chunk, the rows of
    /// `logits` that hold its requested logits (empty for `.none`), valid until the next call.
    /// Every chunk must name a different cache; nothing is changed when a check fails. `pool` runs every
    /// kernel of the step: `.inline` keeps a small step on the calling thread.
    public func run(_ chunks: [SequenceChunk], pool: ThreadPool = .shared) throws -> [Range<Int>] {
        let c = model.config
        let total = chunks.reduce(0) { $0 + $1.tokens.count }
        guard total <= rowCapacity else { throw InferenceError.batchTooLarge(total, capacity: rowCapacity) }
        for chunk in chunks { try check(chunk) }
        self.pool = pool
        var starts: [Int] = []
        var row = 0
        for chunk in chunks { starts.append(row); row += chunk.tokens.count }
        let embedding = model.pointer(model.layout.embedding)
        for (chunk, start) in zip(chunks, starts) {
            for (i, t) in chunk.tokens.enumerated() { (x.pointer + (start + i) * c.dim).update(from: embedding + Int(t) * c.dim, count: c.dim) }
        }
        let places = zip(chunks, starts).map { ChunkPlace(start: $1, count: $0.tokens.count, position: $0.cache.length, cache: $0.cache.view) }
        // The views stay valid: `chunks` holds the caches until the end of `run`.
        for (layer, block) in model.layout.blocks.enumerated() {
            forwardBlock(block, layer: layer, places: places, rows: total)
        }
        for chunk in chunks { chunk.cache.advance(by: chunk.tokens.count) }
        return computeLogits(chunks: chunks, starts: starts)
    }

    /// The checks `run` makes of each chunk, for a caller that batches chunks of many sources and must fail
    /// only the one that does not pass.
    public func check(_ chunk: SequenceChunk) throws {
        let vocabulary = model.config.vocabSize
        guard !chunk.tokens.isEmpty else { throw InferenceError.emptyPrompt }
        guard chunk.tokens.count <= chunk.cache.capacity - chunk.cache.length else {
            throw InferenceError.contextFull(capacity: chunk.cache.capacity)
        }
        for t in chunk.tokens where t < 0 || Int(t) >= vocabulary { throw InferenceError.tokenOutOfRange(t, vocabulary: vocabulary) }
    }

    /// Where a chunk's rows are in the step's buffers and where they go in its cache.
    private struct ChunkPlace {
        let start: Int, count: Int, position: Int
        let cache: KVCacheView
    }

    private func forwardBlock(_ block: ParameterLayout.Block, layer: Int, places: [ChunkPlace], rows n: Int) {
        let c = model.config
        let d = c.dim, hd = c.headDim
        let qDim = c.heads * hd, kvDim = c.kvHeads * hd, qkvDim = qDim + 2 * kvDim
        let eps = Float(c.normEps)
        RMSNorm.forward(x: x.pointer, weight: model.pointer(block.attentionNorm), out: normed.pointer, rstd: nil, rows: n, dim: d, eps: eps,
                        pool: pool)
        let packed = panels.blocks[layer]
        linear(normed.pointer, weight: block.qkv, packed.qkv, qkv.pointer, rows: n)
        for place in places {
            let rows = qkv.pointer + place.start * qkvDim, position = place.position
            model.rope.forward(rows, batch: 1, seqLen: place.count, heads: c.heads, stride: qkvDim, positionOffset: position, pool: .inline)
            model.rope.forward(rows + qDim, batch: 1, seqLen: place.count, heads: c.kvHeads, stride: qkvDim, positionOffset: position, pool: .inline)
            for i in 0..<place.count {
                place.cache.store(layer: layer, position: position + i, key: rows + i * qkvDim + qDim, value: rows + i * qkvDim + qDim + kvDim)
            }
        }
        attend(layer: layer, places: places)
        linear(attention.pointer, weight: block.output, packed.output, x.pointer, rows: n, accumulate: true)
        RMSNorm.forward(x: x.pointer, weight: model.pointer(block.mlpNorm), out: normed.pointer, rstd: nil, rows: n, dim: d, eps: eps, pool: pool)
        linear(normed.pointer, weight: block.gateUp, packed.gateUp, gateUp.pointer, rows: n)
        Activations.swiGLUForward(gateUp: gateUp.pointer, out: activated.pointer, rows: n, hidden: c.hidden, pool: pool)
        linear(activated.pointer, weight: block.down, packed.down, x.pointer, rows: n, accumulate: true)
    }

    /// Attention of each chunk over its own cache. Single decoding tokens are spread over the pool one
    /// sequence per task (each is too small to split by head); a prompt chunk splits itself by head.
    private func attend(layer: Int, places: [ChunkPlace]) {
        let c = model.config
        let hd = c.headDim, qDim = c.heads * hd, kvDim = c.kvHeads * hd, qkvDim = qDim + 2 * kvDim
        let q = qkv.pointer, out = attention.pointer
        func run(_ index: Int, pool: ThreadPool) {
            let place = places[index], start = place.start
            Attention.forward(q: q + start * qkvDim, cached: place.cache.cached(layer: layer), tilesPerHead: place.cache.tilesPerHead,
                              out: out + start * qDim, lse: nil, batch: 1, queryLen: place.count, keyLen: place.position + place.count,
                              kvCapacity: place.cache.capacity, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                              qStride: qkvDim, kvStride: kvDim, outStride: qDim, scale: 1 / Float(hd).squareRoot(), pool: pool)
        }
        let single = places.indices.filter { places[$0].count == 1 }
        if single.count > 1 {
            pool.parallelFor(single.count) { run(single[$0], pool: .inline) }
        } else if let only = single.first {
            run(only, pool: pool)
        }
        for index in places.indices where places[index].count > 1 { run(index, pool: pool) }
    }

    /// The final norm and the LM head on the rows whose logits were asked for, gathered into consecutive rows.
    private func computeLogits(chunks: [SequenceChunk], starts: [Int]) -> [Range<Int>] {
        let c = model.config
        var wanted: [Int] = []
        var ranges: [Range<Int>] = []
        for (chunk, start) in zip(chunks, starts) {
            let first = wanted.count
            switch chunk.logits {
            case .none: break
            case .last: wanted.append(start + chunk.tokens.count - 1)
            case .all: wanted.append(contentsOf: start..<(start + chunk.tokens.count))
            }
            ranges.append(first..<wanted.count)
        }
        if wanted.isEmpty { return ranges }
        if logits.count < wanted.count * c.vocabSize { logits = FloatBuffer(count: wanted.count * c.vocabSize, zeroed: false) }
        for (i, source) in wanted.enumerated() {
            RMSNorm.forward(x: x.pointer + source * c.dim, weight: model.pointer(model.layout.finalNorm), out: normed.pointer + i * c.dim,
                            rstd: nil, rows: 1, dim: c.dim, eps: Float(c.normEps), pool: pool)
        }
        linear(normed.pointer, weight: model.layout.head, panels.head, logits.pointer, rows: wanted.count)
        return ranges
    }

    /// `out (+)= input · Wᵀ`: the decoding kernel on W's panels for decoding-sized row counts, the GEMM on the
    /// model's own W (at `weight`) above.
    private func linear(_ input: UnsafePointer<Float>, weight: Int, _ packed: WeightPanels, _ out: UnsafeMutablePointer<Float>,
                        rows: Int, accumulate: Bool = false) {
        if rows <= DecodeMatmul.maximumRows {
            DecodeMatmul.multiply(input, packed, out, rows: rows, accumulate: accumulate, pool: pool)
        } else {
            Gemm.matmulTransposedB(input, model.pointer(weight), out, m: rows, n: packed.outputs, k: packed.inputs,
                                   accumulate: accumulate, pool: pool)
        }
    }
}
