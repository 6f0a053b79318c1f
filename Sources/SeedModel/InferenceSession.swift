import SeedTensor

/// Keys and values of the tokens seen so far, per layer, for decoding one token at a time.
///
/// Values are kept as rows (position-major). Keys are kept in the `[headDim × 64]` tiles that attention
/// reads (see `Attention.forward(q:keyTiles:...)`), written one column per token: a decoding step then
/// reads its keys as they are instead of transposing all of them again for every new token, which cost
/// as much as the scores themselves.
public final class KVCache {
    public let capacity: Int
    public private(set) var length = 0
    let keys: [FloatBuffer]
    let values: [FloatBuffer]
    let rowWidth: Int
    let headDim: Int
    let tilesPerHead: Int
    /// Each layer's key tiles, then each layer's value rows: the memory of `keys` and `values` as plain
    /// pointers, for `view`.
    private let layerPointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

    /// Room for `capacity` tokens (at most the model's context). Value rows are written before they are
    /// read, so their memory is not cleared; key tiles are, since attention reads whole tiles and masks the
    /// columns of keys not yet written.
    public init(config: LlamaConfig, capacity: Int) {
        self.capacity = min(max(1, capacity), config.context)
        rowWidth = config.kvHeads * config.headDim
        headDim = config.headDim
        tilesPerHead = (self.capacity + Attention.keyBlock - 1) / Attention.keyBlock
        let tileFloats = config.kvHeads * tilesPerHead * headDim * Attention.keyBlock
        keys = (0..<config.layers).map { _ in FloatBuffer(count: tileFloats, zeroed: true) }
        let valueFloats = self.capacity * rowWidth
        values = (0..<config.layers).map { _ in FloatBuffer(count: valueFloats, zeroed: false) }
        layerPointers = .allocate(capacity: 2 * config.layers)
        for layer in 0..<config.layers {
            layerPointers[layer] = keys[layer].pointer
            layerPointers[config.layers + layer] = values[layer].pointer
        }
    }

    deinit { layerPointers.deallocate() }

    /// The cache as plain values, valid while the cache lives.
    var view: KVCacheView {
        KVCacheView(keys: layerPointers, values: layerPointers + keys.count, capacity: capacity, rowWidth: rowWidth, headDim: headDim,
                    tilesPerHead: tilesPerHead)
    }

    public func reset() { length = 0 }
    func advance(by n: Int) { length += n }

    /// Takes the first `count` positions of `other` (a cache of the same model, which may differ in
    /// capacity): a prompt that another sequence has just read need not be read again.
    public func copyPrefix(of other: KVCache, count: Int) {
        precondition(count <= other.length && count <= capacity && other.rowWidth == rowWidth && other.headDim == headDim,
                     "a cache copies only positions that the other holds, from the same model")
        let block = Attention.keyBlock
        let tileFloats = headDim * block
        let wholeTiles = count / block, rest = count % block
        for layer in 0..<keys.count {
            (values[layer].pointer).update(from: other.values[layer].pointer, count: count * rowWidth)
            for head in 0..<(rowWidth / headDim) {
                let target = keys[layer].pointer + head * tilesPerHead * tileFloats
                let source = other.keys[layer].pointer + head * other.tilesPerHead * tileFloats
                target.update(from: source, count: wholeTiles * tileFloats)
                // The last tile in part: each of its rows holds the key's component d for `block` positions.
                if rest > 0 {
                    let tile = wholeTiles * tileFloats
                    for d in 0..<headDim { (target + tile + d * block).update(from: source + tile + d * block, count: rest) }
                }
            }
        }
        length = count
    }

}

/// A `KVCache`'s memory and shape as plain values. A forward pass reads it per layer and per token; going
/// through the cache object there retained and released it each time, and in the server each release
/// was a contended atomic: 3.6 % of the process's samples with 8 streams of the demo model, about 18 µs
/// of a 0.5 ms step.
struct KVCacheView {
    /// Per layer: key tiles, value rows.
    let keys: UnsafePointer<UnsafeMutablePointer<Float>>
    let values: UnsafePointer<UnsafeMutablePointer<Float>>
    let capacity: Int
    let rowWidth: Int
    let headDim: Int
    let tilesPerHead: Int

    /// Stores the key and value rows (`rowWidth` floats each, all kv heads) of the token at `position`.
    func store(layer: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        (values[layer] + position * rowWidth).update(from: value, count: rowWidth)
        let block = Attention.keyBlock
        let column = keys[layer] + (position / block) * headDim * block + position % block
        for head in 0..<(rowWidth / headDim) {
            let tile = column + head * tilesPerHead * headDim * block, source = key + head * headDim
            for d in 0..<headDim { tile[d * block] = source[d] }
        }
    }
}

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
/// as a full forward pass over the whole sequence.
public final class InferenceSession {
    public let model: LlamaModel
    public let cache: KVCache
    private let forward: BatchedForward

    public init(model: LlamaModel, capacity: Int? = nil, chunk: Int = 64) {
        self.model = model
        cache = KVCache(config: model.config, capacity: min(capacity ?? model.config.context, model.config.context))
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
