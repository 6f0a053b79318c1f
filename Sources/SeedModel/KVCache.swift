import SeedTensor

/// Keys and values of the tokens seen so far, per layer, for decoding one token at a time.
///
/// Values are kept as rows (position-major). Keys are kept in the `[headDim × 64]` tiles that attention
/// reads (see `Attention.forward(q:cached:...)`), written one column per token: a decoding step then reads
/// its keys as they are instead of transposing all of them again for every new token, which cost as much
/// as the scores themselves.
///
/// Both are kept in float32 or in float16 (`Precision`). With several sequences decoding, attention's
/// reads of the caches rival the weights' (eight sequences of the demo model, mid-answer: 2.4 MB of keys
/// and values against 3.3 MB of weights per step), and float16 halves them, as llama.cpp's default cache
/// does. The price is float16's rounding of each key and value (a relative 2⁻¹¹), so the logits of a
/// float16 cache are no longer those of the full forward pass to 1e-4; scoring a prompt keeps float32.
public final class KVCache {
    public enum Precision: String, Sendable, CaseIterable {
        case float32, float16

        var elementBytes: Int { self == .float32 ? 4 : 2 }
    }

    public let capacity: Int
    public let precision: Precision
    public private(set) var length = 0
    let rowWidth: Int
    let headDim: Int
    let tilesPerHead: Int
    let layers: Int
    private let tileBytes: Int, valueBytes: Int
    /// Every layer's key tiles, then every layer's value rows, in one allocation.
    private let memory: UnsafeMutableRawPointer
    /// Where each layer's key tiles start, then where each layer's value rows start, for `view`.
    private let layerPointers: UnsafeMutablePointer<UnsafeMutableRawPointer>

    /// Room for `capacity` tokens (at most the model's context). Value rows are written before they are
    /// read, so their memory is not cleared; key tiles are, since attention reads whole tiles and masks the
    /// columns of keys not yet written (which must hold finite values).
    public init(config: LlamaConfig, capacity: Int, precision: Precision = .float32) {
        self.capacity = min(max(1, capacity), config.context)
        self.precision = precision
        rowWidth = config.kvHeads * config.headDim
        headDim = config.headDim
        layers = config.layers
        tilesPerHead = (self.capacity + Attention.keyBlock - 1) / Attention.keyBlock
        tileBytes = config.kvHeads * tilesPerHead * headDim * Attention.keyBlock * precision.elementBytes
        valueBytes = self.capacity * rowWidth * precision.elementBytes
        memory = .allocate(byteCount: layers * (tileBytes + valueBytes), alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: layers * tileBytes)
        layerPointers = .allocate(capacity: 2 * layers)
        for layer in 0..<layers {
            layerPointers[layer] = memory + layer * tileBytes
            layerPointers[layers + layer] = memory + layers * tileBytes + layer * valueBytes
        }
    }

    deinit {
        layerPointers.deallocate()
        memory.deallocate()
    }

    /// The cache as plain values, valid while the cache lives.
    var view: KVCacheView {
        KVCacheView(keys: layerPointers, values: layerPointers + layers, precision: precision, capacity: capacity, rowWidth: rowWidth,
                    headDim: headDim, tilesPerHead: tilesPerHead)
    }

    public func reset() { length = 0 }
    func advance(by n: Int) { length += n }

    /// Takes the first `count` positions of `other` (a cache of the same model and precision, which may
    /// differ in capacity): a prompt that another sequence has just read need not be read again.
    public func copyPrefix(of other: KVCache, count: Int) {
        precondition(count <= other.length && count <= capacity && other.rowWidth == rowWidth && other.headDim == headDim
                     && other.precision == precision, "a cache copies only positions that the other holds, from the same model and precision")
        let bytes = precision.elementBytes, block = Attention.keyBlock
        let tileBytes = headDim * block * bytes
        let wholeTiles = count / block, rest = count % block
        for layer in 0..<layers {
            layerPointers[layers + layer].copyMemory(from: other.layerPointers[layers + layer], byteCount: count * rowWidth * bytes)
            for head in 0..<(rowWidth / headDim) {
                let target = layerPointers[layer] + head * tilesPerHead * tileBytes
                let source = UnsafeRawPointer(other.layerPointers[layer] + head * other.tilesPerHead * tileBytes)
                target.copyMemory(from: source, byteCount: wholeTiles * tileBytes)
                // The last tile in part: each of its rows holds the key's component d for `block` positions.
                if rest > 0 {
                    let tile = wholeTiles * tileBytes
                    for d in 0..<headDim {
                        (target + tile + d * block * bytes).copyMemory(from: source + tile + d * block * bytes, byteCount: rest * bytes)
                    }
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
    /// Per layer: key tiles, value rows, of `precision`'s number type.
    let keys: UnsafePointer<UnsafeMutableRawPointer>
    let values: UnsafePointer<UnsafeMutableRawPointer>
    let precision: KVCache.Precision
    let capacity: Int
    let rowWidth: Int
    let headDim: Int
    let tilesPerHead: Int

    /// A layer's keys and values as attention reads them.
    func cached(layer: Int) -> Attention.CachedKeysValues {
        switch precision {
        case .float32:
            return .float32(keyTiles: UnsafePointer(keys[layer].assumingMemoryBound(to: Float.self)),
                            values: UnsafePointer(values[layer].assumingMemoryBound(to: Float.self)))
        case .float16:
            return .float16(keyTiles: UnsafePointer(keys[layer].assumingMemoryBound(to: Float16.self)),
                            values: UnsafePointer(values[layer].assumingMemoryBound(to: Float16.self)))
        }
    }

    /// Stores the key and value rows (`rowWidth` floats each, all kv heads) of the token at `position`.
    func store(layer: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        switch precision {
        case .float32:
            (values[layer].assumingMemoryBound(to: Float.self) + position * rowWidth).update(from: value, count: rowWidth)
            storeKey(key, into: keys[layer].assumingMemoryBound(to: Float.self), position: position) { $0 }
        case .float16:
            HalfConversion.store(value, values[layer].assumingMemoryBound(to: Float16.self) + position * rowWidth, count: rowWidth)
            storeKey(key, into: keys[layer].assumingMemoryBound(to: Float16.self), position: position, HalfConversion.half)
        }
    }

    /// Writes one key into its column of each kv head's tile.
    @inline(__always)
    private func storeKey<E>(_ key: UnsafePointer<Float>, into tiles: UnsafeMutablePointer<E>, position: Int, _ convert: (Float) -> E) {
        let block = Attention.keyBlock
        let column = tiles + (position / block) * headDim * block + position % block
        for head in 0..<(rowWidth / headDim) {
            let tile = column + head * tilesPerHead * headDim * block, source = key + head * headDim
            for d in 0..<headDim { tile[d * block] = convert(source[d]) }
        }
    }
}
