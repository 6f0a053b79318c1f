import Foundation
import Synchronization

/// Causal scaled-dot-product attention with grouped-query heads, computed flash-attention style.
///
/// Scores are produced one (query block × key block) tile at a time and folded into a running softmax
/// (running max, running denominator, rescaled accumulator), so memory stays O(block) instead of
/// O(T²) per head, and the same code serves training (queryLen == keyLen) and KV-cache decoding
/// (queryLen 1, keys from the cache). Key tiles always start at key 0, so a query gets the same bits
/// whether it is computed in a full pass or alone in decoding.
///
/// Keys (and, in backward, values) are first transposed into `[headDim × 64]` tiles: a query's 64 scores
/// are then `Σ_d q[d] · tile[d, 0..<64]`, vertical FMAs into four 16-lane accumulators with no horizontal
/// sums, which is what makes head dims of 32–64 run near the FMA peak. Probabilities and score gradients
/// of a query block are kept transposed (key-major) so that dK and dV accumulate over queries with
/// contiguous weights.
public enum Attention {
    static let queryBlock = 32
    public static let keyBlock = 64

    /// q (b, t, h, d) at q[(b·queryLen + t)·qStride + h·headDim + d]; k, v (b, s, hk, d) at
    /// [(b·kvCapacity + s)·kvStride + hk·headDim + d]; out (b, t, h, d) at out[(b·queryLen + t)·outStride + h·headDim + d].
    /// Query t sits at absolute position keyLen − queryLen + t and sees keys 0...that position; q head h
    /// reads kv head h / (qHeads / kvHeads). `lse`, when given, receives the log-sum-exp of the scaled
    /// scores at lse[(b·qHeads + h)·queryLen + t], which lets backward recompute probabilities exactly.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?,
                               batch: Int, queryLen: Int, keyLen: Int, kvCapacity: Int,
                               qHeads: Int, kvHeads: Int, headDim: Int,
                               qStride: Int, kvStride: Int, outStride: Int, scale: Float,
                               pool: ThreadPool = .shared) {
        forward(q: q, v: v, out: out, lse: lse, batch: batch, queryLen: queryLen, keyLen: keyLen, kvCapacity: kvCapacity,
                qHeads: qHeads, kvHeads: kvHeads, headDim: headDim, qStride: qStride, kvStride: kvStride, outStride: outStride,
                scale: scale, pool: pool) { b, kvHead, start, keys, scratch -> UnsafePointer<Float> in
            transpose(k + (b * kvCapacity + start) * kvStride + kvHead * headDim, stride: kvStride, rows: keys, dim: headDim, into: scratch)
            return UnsafePointer(scratch)
        }
    }

    /// Keys and values as a KV cache keeps them, in float32 or float16. Keys are in tiles: the tile of kv
    /// head h and keys 64·i..<64·(i + 1) of batch item b starts at keyTiles[((b · kvHeads + h) · tilesPerHead
    /// + i) · headDim · 64], and holds zeros (or any finite values) in the columns of keys not yet written.
    /// Values are rows, as `forward` reads them.
    public enum CachedKeysValues {
        case float32(keyTiles: UnsafePointer<Float>, values: UnsafePointer<Float>)
        case float16(keyTiles: UnsafePointer<Float16>, values: UnsafePointer<Float16>)
    }

    /// `forward` on a KV cache, so that decoding does not transpose every key again for every new token.
    /// Same bits as `forward` on the same keys and values (float16 ones widened first: widening is exact).
    public static func forward(q: UnsafePointer<Float>, cached: CachedKeysValues, tilesPerHead: Int,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?,
                               batch: Int, queryLen: Int, keyLen: Int, kvCapacity: Int,
                               qHeads: Int, kvHeads: Int, headDim: Int,
                               qStride: Int, kvStride: Int, outStride: Int, scale: Float,
                               pool: ThreadPool = .shared) {
        @inline(__always)
        func run<E: KVElement>(_ keyTiles: UnsafePointer<E>, _ values: UnsafePointer<E>, tilesPerHead: Int, kvCapacity: Int) {
            forward(q: q, v: values, out: out, lse: lse, batch: batch, queryLen: queryLen, keyLen: keyLen, kvCapacity: kvCapacity,
                    qHeads: qHeads, kvHeads: kvHeads, headDim: headDim, qStride: qStride, kvStride: kvStride, outStride: outStride,
                    scale: scale, pool: pool) { b, kvHead, start, _, _ in
                keyTiles + ((b * kvHeads + kvHead) * tilesPerHead + start / keyBlock) * headDim * keyBlock
            }
        }
        switch cached {
        case .float32(let keyTiles, let values):
            run(keyTiles, values, tilesPerHead: tilesPerHead, kvCapacity: kvCapacity)
        case .float16(let keyTiles, let values) where queryLen == 1:
            // Decoding reads each key and value once, and waits on memory: widened as they load.
            run(keyTiles, values, tilesPerHead: tilesPerHead, kvCapacity: kvCapacity)
        case .float16(let keyTiles, let values):
            // A prompt chunk meets each key and value once per query, and there the conversions (which
            // take the FMA ports) cost as much as the scores: the keys and values it reads are widened once.
            let tiles = (keyLen + keyBlock - 1) / keyBlock, tileFloats = headDim * keyBlock
            let wideTiles = UnsafeMutablePointer<Float>.allocate(capacity: batch * kvHeads * tiles * tileFloats)
            let wideValues = UnsafeMutablePointer<Float>.allocate(capacity: batch * keyLen * kvStride)
            defer {
                wideTiles.deallocate()
                wideValues.deallocate()
            }
            for head in 0..<(batch * kvHeads) {
                HalfConversion.widen(keyTiles + head * tilesPerHead * tileFloats, wideTiles + head * tiles * tileFloats, count: tiles * tileFloats)
            }
            for b in 0..<batch {
                HalfConversion.widen(values + b * kvCapacity * kvStride, wideValues + b * keyLen * kvStride, count: keyLen * kvStride)
            }
            run(UnsafePointer(wideTiles), UnsafePointer(wideValues), tilesPerHead: tiles, kvCapacity: keyLen)
        }
    }

    /// The shared body: `keyTile(b, kvHead, start, keys, scratch)` gives the `[headDim × 64]` tile of keys
    /// start..<start + keys of a batch item's kv head, in `scratch` or wherever the keys are kept.
    @inline(__always)
    static func forward<E: KVElement>(q: UnsafePointer<Float>, v: UnsafePointer<E>,
                        out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?,
                        batch: Int, queryLen: Int, keyLen: Int, kvCapacity: Int,
                        qHeads: Int, kvHeads: Int, headDim: Int,
                        qStride: Int, kvStride: Int, outStride: Int, scale: Float,
                        pool: ThreadPool,
                        keyTile: (_ b: Int, _ kvHead: Int, _ start: Int, _ keys: Int, _ scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<E>) {
        if batch <= 0 || queryLen <= 0 || qHeads <= 0 { return }
        let dim = headDim, group = qHeads / kvHeads
        let qBlocks = (queryLen + queryBlock - 1) / queryBlock
        let offset = keyLen - queryLen
        let p = VectorMath.pool(pool, work: batch * qHeads * queryLen * Swift.min(keyLen, 2 * keyBlock) * dim / 4)
        // A query block of one head, with `scratch` for the key tile, scores and running sums.
        func attend(_ task: Int, _ scratch: UnsafeMutablePointer<Float>) {
            let block = task % qBlocks, h = (task / qBlocks) % qHeads, b = task / (qBlocks * qHeads)
            let t0 = block * queryBlock, rows = Swift.min(queryBlock, queryLen - t0)
            let vHead = v + b * kvCapacity * kvStride + (h / group) * dim
            let scores = scratch + dim * keyBlock, acc = scores + keyBlock
            let runningMax = acc + rows * dim, runningSum = runningMax + rows
            acc.initialize(repeating: 0, count: rows * dim)
            runningMax.initialize(repeating: -.infinity, count: rows)
            runningSum.initialize(repeating: 0, count: rows)
            let lastKey = offset + t0 + rows - 1
            var ks = 0
            while ks <= lastKey {
                let keys = Swift.min(keyBlock, lastKey + 1 - ks)
                let tile = keyTile(b, h / group, ks, keys, scratch)
                for i in 0..<rows {
                    let valid = Swift.min(keys, offset + t0 + i + 1 - ks)
                    if valid <= 0 { continue }
                    let qi = q + (b * queryLen + t0 + i) * qStride + h * dim
                    scoreRow(qi, tile: tile, dim: dim, keys: valid, scale: scale, into: scores)
                    let padded = maskTail(scores, keys: valid)
                    let newMax = Swift.max(runningMax[i], VectorMath.max(scores, count: padded))
                    let rescale = Foundation.exp(runningMax[i] - newMax)
                    let rowSum = VectorMath.expShifted(scores, count: padded, minus: newMax)
                    runningSum[i] = runningSum[i] * rescale + rowSum
                    runningMax[i] = newMax
                    let a = acc + i * dim
                    if rescale != 1 { for d in 0..<dim { a[d] *= rescale } }
                    accumulate(scores, vHead + ks * kvStride, stride: kvStride, count: valid, dim: dim, into: a)
                }
                ks += keyBlock
            }
            for i in 0..<rows {
                let o = out + (b * queryLen + t0 + i) * outStride + h * dim, a = acc + i * dim
                let inverse = 1 / runningSum[i]
                for d in 0..<dim { o[d] = a[d] * inverse }
                lse?[(b * qHeads + h) * queryLen + t0 + i] = runningMax[i] + Foundation.log(runningSum[i])
            }
        }
        // One scratch per worker, which takes tasks as they come: a decoding step runs this once per
        // sequence and layer with one short task per head, and a malloc and free per task cost as much as a
        // 32-wide head's arithmetic over 80 keys.
        let tasks = batch * qHeads * qBlocks
        let nextTask = Atomic<Int>(0)
        let scratchCount = keyBlock * (dim + 1) + Swift.min(queryBlock, queryLen) * (dim + 2)
        p.parallelFor(Swift.min(tasks, p.threadCount)) { _ in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            while case let task = nextTask.add(1, ordering: .relaxed).oldValue, task < tasks { attend(task, scratch) }
        }
    }

    /// Training backward (queryLen == keyLen == kvCapacity == seqLen), FlashAttention-2 style: the
    /// probabilities are recomputed tile by tile from `lse` instead of being stored.
    /// With D_t = dOut_t · out_t, P = exp(scale·q·k − lse), dS = P ∘ (dOut·vᵀ − D):
    /// dV = Pᵀ·dOut, dQ = scale·dS·K, dK = scale·dSᵀ·Q.
    ///
    /// dQ, dK, dV are overwritten, but only in their heads' slices of each strided row, so they can be
    /// slices of one fused qkv gradient row. Work is split by (batch, kv head) with the group's q heads
    /// looped inside, so each task owns its dK and dV rows outright: no races and no cross-task sums.
    public static func backward(dOut: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>,
                                dV: UnsafeMutablePointer<Float>, batch: Int, seqLen: Int, qHeads: Int, kvHeads: Int,
                                headDim: Int, qStride: Int, kvStride: Int, outStride: Int, scale: Float,
                                pool: ThreadPool = .shared) {
        if batch <= 0 || seqLen <= 0 || kvHeads <= 0 { return }
        let dim = headDim, group = qHeads / kvHeads
        let keyBlocks = (seqLen + keyBlock - 1) / keyBlock
        let p = VectorMath.pool(pool, work: batch * qHeads * seqLen * Swift.min(seqLen, 2 * keyBlock) * dim / 4)
        p.parallelFor(batch * kvHeads) { task in
            let b = task / kvHeads, hk = task % kvHeads
            let kHead = k + b * seqLen * kvStride + hk * dim, vHead = v + b * seqLen * kvStride + hk * dim
            let tileSize = dim * keyBlock, blockTile = keyBlock * queryBlock
            let scratch = UnsafeMutablePointer<Float>.allocate(
                capacity: 2 * keyBlocks * tileSize + 2 * seqLen * dim + 2 * blockTile + 3 * keyBlock + (dim + 1) * queryBlock)
            defer { scratch.deallocate() }
            let kTiles = scratch, vTiles = kTiles + keyBlocks * tileSize
            let dKAcc = vTiles + keyBlocks * tileSize, dVAcc = dKAcc + seqLen * dim
            let probsTile = dVAcc + seqLen * dim, dScoresTile = probsTile + blockTile
            let dProbs = dScoresTile + blockTile
            let dQAcc = dProbs + keyBlock, delta = dQAcc + queryBlock * dim
            dKAcc.initialize(repeating: 0, count: 2 * seqLen * dim)
            for kb in 0..<keyBlocks {
                let keys = Swift.min(keyBlock, seqLen - kb * keyBlock)
                transpose(kHead + kb * keyBlock * kvStride, stride: kvStride, rows: keys, dim: dim, into: kTiles + kb * tileSize)
                transpose(vHead + kb * keyBlock * kvStride, stride: kvStride, rows: keys, dim: dim, into: vTiles + kb * tileSize)
            }
            for h in (hk * group)..<((hk + 1) * group) {
                var t0 = 0
                while t0 < seqLen {
                    let rows = Swift.min(queryBlock, seqLen - t0)
                    let qBlock = q + (b * seqLen + t0) * qStride + h * dim
                    let dOBlock = dOut + (b * seqLen + t0) * outStride + h * dim
                    dQAcc.initialize(repeating: 0, count: rows * dim)
                    for i in 0..<rows {
                        let t = b * seqLen + t0 + i
                        delta[i] = VectorMath.dot(dOut + t * outStride + h * dim, out + t * outStride + h * dim, count: dim)
                    }
                    var kb = 0
                    while kb * keyBlock < t0 + rows {
                        let ks = kb * keyBlock
                        let keys = Swift.min(keyBlock, t0 + rows - ks)
                        for i in 0..<rows {
                            let valid = Swift.max(0, Swift.min(keys, t0 + i + 1 - ks))
                            // Row i of the probability and score-gradient tiles, zero past `valid`.
                            let probs = probsTile + i * keyBlock, dScores = dScoresTile + i * keyBlock
                            var padded = 0
                            if valid > 0 {
                                let qi = qBlock + i * qStride, dOi = dOBlock + i * outStride
                                scoreRow(qi, tile: kTiles + kb * tileSize, dim: dim, keys: valid, scale: scale, into: probs)
                                padded = maskTail(probs, keys: valid)
                                _ = VectorMath.expShifted(probs, count: padded, minus: lse[(b * qHeads + h) * seqLen + t0 + i])
                                scoreRow(dOi, tile: vTiles + kb * tileSize, dim: dim, keys: valid, scale: 1, into: dProbs)
                                // Past `valid` the probabilities are exactly 0 and dProbs is finite, so dScores is 0 there.
                                let dv = SIMD16<Float>(repeating: delta[i]), sv = SIMD16<Float>(repeating: scale)
                                for c in Swift.stride(from: 0, to: padded, by: 16) {
                                    let pc = VectorMath.load(probs + c)
                                    VectorMath.store(sv * pc * (VectorMath.load(dProbs + c) - dv), dScores + c)
                                }
                                accumulate(dScores, kHead + ks * kvStride, stride: kvStride, count: valid, dim: dim, into: dQAcc + i * dim)
                            }
                            if padded < keys {
                                (probs + padded).update(repeating: 0, count: keys - padded)
                                (dScores + padded).update(repeating: 0, count: keys - padded)
                            }
                        }
                        // dK_j += Σ_i dS[i, j]·q_i and dV_j += Σ_i P[i, j]·dO_i: the weights are a tile column.
                        for j in 0..<keys {
                            accumulate(dScoresTile + j, weightStride: keyBlock, qBlock, stride: qStride, count: rows, dim: dim,
                                       into: dKAcc + (ks + j) * dim)
                            accumulate(probsTile + j, weightStride: keyBlock, dOBlock, stride: outStride, count: rows, dim: dim,
                                       into: dVAcc + (ks + j) * dim)
                        }
                        kb += 1
                    }
                    for i in 0..<rows {
                        (dQ + (b * seqLen + t0 + i) * qStride + h * dim).update(from: dQAcc + i * dim, count: dim)
                    }
                    t0 += queryBlock
                }
            }
            for s in 0..<seqLen {
                let row = (b * seqLen + s) * kvStride + hk * dim
                (dK + row).update(from: dKAcc + s * dim, count: dim)
                (dV + row).update(from: dVAcc + s * dim, count: dim)
            }
        }
    }

    /// Adds -infinity to the lanes of the last 16-key chunk past `keys`, so that max and exp can run on whole
    /// chunks (exp gives exactly 0 there) instead of building partial vectors lane by lane. Returns the
    /// padded count.
    @inline(__always)
    static func maskTail(_ scores: UnsafeMutablePointer<Float>, keys: Int) -> Int {
        let padded = (keys + 15) / 16 * 16
        if padded != keys {
            let last = scores + padded - 16
            VectorMath.store(VectorMath.load(last) + tailMasks[keys - (padded - 16)], last)
        }
        return padded
    }

    /// tailMasks[n]: 0 in lanes below n, -infinity from lane n on.
    static let tailMasks: [SIMD16<Float>] = (0...16).map { n in
        SIMD16<Float>((0..<16).map { $0 < n ? 0 : -Float.infinity })
    }

    /// tile[d·64 + j] = rows[j·stride + d] for `rows` ≤ 64 rows; columns past `rows` are zeroed.
    /// Written d-outer so that stores are contiguous: j-outer compiles to AVX-512 scatters, which cost
    /// more here than all the arithmetic of the tile.
    static func transpose(_ source: UnsafePointer<Float>, stride: Int, rows: Int, dim: Int, into tile: UnsafeMutablePointer<Float>) {
        for d in 0..<dim {
            let column = tile + d * keyBlock
            var j = 0
            while j + 4 <= rows {
                let r = source + j * stride + d
                column[j] = r[0]; column[j + 1] = r[stride]; column[j + 2] = r[2 * stride]; column[j + 3] = r[3 * stride]
                j += 4
            }
            while j < rows { column[j] = source[j * stride + d]; j += 1 }
            if rows < keyBlock { (column + rows).update(repeating: 0, count: keyBlock - rows) }
        }
    }

    /// scores[j] = scale · Σ_d x[d] · tile[d, j] for j < `keys` (≤ 64), in 16-key chunks. Each chunk sums
    /// into several accumulators over interleaved d (two per chunk when two chunks go together, four for a
    /// chunk alone), so that at least four FMA chains are in flight. The order depends only on `keys`, so a
    /// query gets the same bits in a full pass and in decoding.
    @inline(__always)
    static func scoreRow<E: KVElement>(_ x: UnsafePointer<Float>, tile: UnsafePointer<E>, dim: Int, keys: Int, scale: Float,
                         into scores: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        let chunks = (keys + 15) / 16
        var c = 0
        // Four chunks at once, each summed exactly as a pair's chunk is: eight chains in flight instead of
        // four, which is what a short query (decoding) waits on.
        while c + 3 < chunks {
            let column = tile + c * 16
            var e0 = V(), e1 = V(), e2 = V(), e3 = V(), o0 = V(), o1 = V(), o2 = V(), o3 = V()
            var d = 0
            while d + 2 <= dim {
                let xe = V(repeating: x[d]), xo = V(repeating: x[d + 1])
                let row = column + d * keyBlock
                e0 = e0.addingProduct(xe, E.load16(row))
                e1 = e1.addingProduct(xe, E.load16(row + 16))
                e2 = e2.addingProduct(xe, E.load16(row + 32))
                e3 = e3.addingProduct(xe, E.load16(row + 48))
                o0 = o0.addingProduct(xo, E.load16(row + keyBlock))
                o1 = o1.addingProduct(xo, E.load16(row + keyBlock + 16))
                o2 = o2.addingProduct(xo, E.load16(row + keyBlock + 32))
                o3 = o3.addingProduct(xo, E.load16(row + keyBlock + 48))
                d += 2
            }
            if d < dim {
                let xl = V(repeating: x[d]), row = column + d * keyBlock
                e0 = e0.addingProduct(xl, E.load16(row))
                e1 = e1.addingProduct(xl, E.load16(row + 16))
                e2 = e2.addingProduct(xl, E.load16(row + 32))
                e3 = e3.addingProduct(xl, E.load16(row + 48))
            }
            VectorMath.store((e0 + o0) * scale, scores + c * 16)
            VectorMath.store((e1 + o1) * scale, scores + c * 16 + 16)
            VectorMath.store((e2 + o2) * scale, scores + c * 16 + 32)
            VectorMath.store((e3 + o3) * scale, scores + c * 16 + 48)
            c += 4
        }
        while c + 1 < chunks {
            let column = tile + c * 16
            var e0 = V(), e1 = V(), o0 = V(), o1 = V()
            var d = 0
            while d + 2 <= dim {
                let xe = V(repeating: x[d]), xo = V(repeating: x[d + 1])
                let row = column + d * keyBlock
                e0 = e0.addingProduct(xe, E.load16(row))
                e1 = e1.addingProduct(xe, E.load16(row + 16))
                o0 = o0.addingProduct(xo, E.load16(row + keyBlock))
                o1 = o1.addingProduct(xo, E.load16(row + keyBlock + 16))
                d += 2
            }
            if d < dim {
                let xl = V(repeating: x[d]), row = column + d * keyBlock
                e0 = e0.addingProduct(xl, E.load16(row))
                e1 = e1.addingProduct(xl, E.load16(row + 16))
            }
            VectorMath.store((e0 + o0) * scale, scores + c * 16)
            VectorMath.store((e1 + o1) * scale, scores + c * 16 + 16)
            c += 2
        }
        if c < chunks {
            let column = tile + c * 16
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            var d = 0
            while d + 4 <= dim {
                let row = column + d * keyBlock
                a0 = a0.addingProduct(V(repeating: x[d]), E.load16(row))
                a1 = a1.addingProduct(V(repeating: x[d + 1]), E.load16(row + keyBlock))
                a2 = a2.addingProduct(V(repeating: x[d + 2]), E.load16(row + 2 * keyBlock))
                a3 = a3.addingProduct(V(repeating: x[d + 3]), E.load16(row + 3 * keyBlock))
                d += 4
            }
            while d < dim {
                a0 = a0.addingProduct(V(repeating: x[d]), E.load16(column + d * keyBlock))
                d += 1
            }
            VectorMath.store(((a0 + a1) + (a2 + a3)) * scale, scores + c * 16)
        }
    }

    /// acc += Σ_j weights[j] · row_j over `count` rows `stride` apart. Each 16-lane column chunk keeps four
    /// independent partial sums in registers across all rows (one chain would wait on the FMA latency at
    /// every row) and touches `acc` once; the partials combine in a fixed order.
    @inline(__always)
    static func accumulate<E: KVElement>(_ weights: UnsafePointer<Float>, weightStride ws: Int = 1, _ rows: UnsafePointer<E>,
                           stride: Int, count: Int, dim: Int, into acc: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        var d = 0
        // Two column chunks at once, each summed exactly as alone: eight chains in flight, for heads of 32
        // and more, where a decoding query's few keys leave one chunk's four chains waiting on latency.
        while d + 32 <= dim {
            var s0 = V(), s1 = V(), s2 = V(), s3 = V(), t0 = V(), t1 = V(), t2 = V(), t3 = V()
            var j = 0
            while j + 4 <= count {
                let r = rows + j * stride + d
                let w = weights + j * ws
                let w0 = V(repeating: w[0]), w1 = V(repeating: w[ws]), w2 = V(repeating: w[2 * ws]), w3 = V(repeating: w[3 * ws])
                s0 = s0.addingProduct(w0, E.load16(r))
                t0 = t0.addingProduct(w0, E.load16(r + 16))
                s1 = s1.addingProduct(w1, E.load16(r + stride))
                t1 = t1.addingProduct(w1, E.load16(r + stride + 16))
                s2 = s2.addingProduct(w2, E.load16(r + 2 * stride))
                t2 = t2.addingProduct(w2, E.load16(r + 2 * stride + 16))
                s3 = s3.addingProduct(w3, E.load16(r + 3 * stride))
                t3 = t3.addingProduct(w3, E.load16(r + 3 * stride + 16))
                j += 4
            }
            while j < count {
                let w0 = V(repeating: weights[j * ws]), r = rows + j * stride + d
                s0 = s0.addingProduct(w0, E.load16(r))
                t0 = t0.addingProduct(w0, E.load16(r + 16))
                j += 1
            }
            VectorMath.store(VectorMath.load(acc + d) + ((s0 + s1) + (s2 + s3)), acc + d)
            VectorMath.store(VectorMath.load(acc + d + 16) + ((t0 + t1) + (t2 + t3)), acc + d + 16)
            d += 32
        }
        while d + 16 <= dim {
            var s0 = V(), s1 = V(), s2 = V(), s3 = V()
            var j = 0
            while j + 4 <= count {
                let r = rows + j * stride + d
                let w = weights + j * ws
                s0 = s0.addingProduct(V(repeating: w[0]), E.load16(r))
                s1 = s1.addingProduct(V(repeating: w[ws]), E.load16(r + stride))
                s2 = s2.addingProduct(V(repeating: w[2 * ws]), E.load16(r + 2 * stride))
                s3 = s3.addingProduct(V(repeating: w[3 * ws]), E.load16(r + 3 * stride))
                j += 4
            }
            while j < count {
                s0 = s0.addingProduct(V(repeating: weights[j * ws]), E.load16(rows + j * stride + d))
                j += 1
            }
            VectorMath.store(VectorMath.load(acc + d) + ((s0 + s1) + (s2 + s3)), acc + d)
            d += 16
        }
        while d < dim {
            var sum: Float = 0
            for j in 0..<count { sum += weights[j * ws] * rows[j * stride + d].asFloat }
            acc[d] += sum
            d += 1
        }
    }

}
