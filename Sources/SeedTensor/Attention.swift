import Foundation

/// Causal scaled-dot-product attention with grouped-query heads, computed flash-attention style.
///
/// Scores are produced one (query block × key block) tile at a time and folded into a running softmax
/// (running max, running denominator, rescaled accumulator), so memory stays O(block) instead of
/// O(T²) per head, and the same code serves training (queryLen == keyLen) and KV-cache decoding
/// (queryLen 1, keys from the cache). Key tiles always start at key 0, so a query gets the same bits
/// whether it is computed in a full pass or alone in decoding.
public enum Attention {
    static let queryBlock = 32
    static let keyBlock = 64

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
        if batch <= 0 || queryLen <= 0 || qHeads <= 0 { return }
        let dim = headDim, group = qHeads / kvHeads
        let qBlocks = (queryLen + queryBlock - 1) / queryBlock
        let offset = keyLen - queryLen
        let p = VectorMath.pool(pool, work: batch * qHeads * queryLen * Swift.min(keyLen, 2 * keyBlock) * dim / 4)
        p.parallelFor(batch * qHeads * qBlocks) { task in
            let block = task % qBlocks, h = (task / qBlocks) % qHeads, b = task / (qBlocks * qHeads)
            let t0 = block * queryBlock, rows = Swift.min(queryBlock, queryLen - t0)
            let kHead = k + b * kvCapacity * kvStride + (h / group) * dim
            let vHead = v + b * kvCapacity * kvStride + (h / group) * dim
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: keyBlock + rows * (dim + 2))
            defer { scratch.deallocate() }
            let scores = scratch, acc = scratch + keyBlock, runningMax = acc + rows * dim, runningSum = runningMax + rows
            acc.initialize(repeating: 0, count: rows * dim)
            runningMax.initialize(repeating: -.infinity, count: rows)
            runningSum.initialize(repeating: 0, count: rows)
            let lastKey = offset + t0 + rows - 1
            var ks = 0
            while ks <= lastKey {
                for i in 0..<rows {
                    let valid = Swift.min(keyBlock, offset + t0 + i + 1 - ks)
                    if valid <= 0 { continue }
                    let qi = q + (b * queryLen + t0 + i) * qStride + h * dim
                    dots(qi, kHead + ks * kvStride, stride: kvStride, count: valid, dim: dim, scale: scale, into: scores)
                    let newMax = Swift.max(runningMax[i], VectorMath.max(scores, count: valid))
                    let rescale = Foundation.exp(runningMax[i] - newMax)
                    let rowSum = exponentiate(scores, count: valid, minus: newMax)
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
        let p = VectorMath.pool(pool, work: batch * qHeads * seqLen * Swift.min(seqLen, 2 * keyBlock) * dim / 4)
        p.parallelFor(batch * kvHeads) { task in
            let b = task / kvHeads, hk = task % kvHeads
            let kHead = k + b * seqLen * kvStride + hk * dim, vHead = v + b * seqLen * kvStride + hk * dim
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * seqLen * dim + 3 * keyBlock + (dim + 1) * queryBlock)
            defer { scratch.deallocate() }
            let dKAcc = scratch, dVAcc = dKAcc + seqLen * dim
            let probs = dVAcc + seqLen * dim, dProbs = probs + keyBlock, dScores = dProbs + keyBlock
            let dQAcc = dScores + keyBlock, delta = dQAcc + queryBlock * dim
            dKAcc.initialize(repeating: 0, count: 2 * seqLen * dim)
            for h in (hk * group)..<((hk + 1) * group) {
                var t0 = 0
                while t0 < seqLen {
                    let rows = Swift.min(queryBlock, seqLen - t0)
                    dQAcc.initialize(repeating: 0, count: rows * dim)
                    for i in 0..<rows {
                        let t = b * seqLen + t0 + i
                        delta[i] = VectorMath.dot(dOut + t * outStride + h * dim, out + t * outStride + h * dim, count: dim)
                    }
                    var ks = 0
                    while ks < t0 + rows {
                        for i in 0..<rows {
                            let valid = Swift.min(keyBlock, t0 + i + 1 - ks)
                            if valid <= 0 { continue }
                            let t = b * seqLen + t0 + i
                            let qi = q + t * qStride + h * dim, dOi = dOut + t * outStride + h * dim
                            dots(qi, kHead + ks * kvStride, stride: kvStride, count: valid, dim: dim, scale: scale, into: probs)
                            _ = exponentiate(probs, count: valid, minus: lse[(b * qHeads + h) * seqLen + t0 + i])
                            dots(dOi, vHead + ks * kvStride, stride: kvStride, count: valid, dim: dim, scale: 1, into: dProbs)
                            let d = delta[i]
                            for j in 0..<valid { dScores[j] = scale * probs[j] * (dProbs[j] - d) }
                            let dQi = dQAcc + i * dim
                            for j in 0..<valid {
                                let key = ks + j
                                VectorMath.axpy(dScores[j], kHead + key * kvStride, dQi, count: dim)
                                VectorMath.axpy(dScores[j], qi, dKAcc + key * dim, count: dim)
                                VectorMath.axpy(probs[j], dOi, dVAcc + key * dim, count: dim)
                            }
                        }
                        ks += keyBlock
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

    /// scores[j] = scale · (q · key_j) for `count` keys `stride` floats apart. Four keys at a time share
    /// the query loads and give the FMA units four independent chains; every key is summed in the same
    /// order (lanes, then the scalar tail) whichever path it takes.
    @inline(__always)
    static func dots(_ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, stride: Int, count: Int, dim: Int,
                     scale: Float, into scores: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 4 <= count {
            let k0 = keys + j * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            var d = 0
            while d + 16 <= dim {
                let x = VectorMath.load(q + d)
                a0 = a0.addingProduct(x, VectorMath.load(k0 + d))
                a1 = a1.addingProduct(x, VectorMath.load(k1 + d))
                a2 = a2.addingProduct(x, VectorMath.load(k2 + d))
                a3 = a3.addingProduct(x, VectorMath.load(k3 + d))
                d += 16
            }
            var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
            while d < dim {
                s0 += q[d] * k0[d]; s1 += q[d] * k1[d]; s2 += q[d] * k2[d]; s3 += q[d] * k3[d]
                d += 1
            }
            scores[j] = scale * s0; scores[j + 1] = scale * s1; scores[j + 2] = scale * s2; scores[j + 3] = scale * s3
            j += 4
        }
        while j < count {
            scores[j] = scale * VectorMath.dot(q, keys + j * stride, count: dim)
            j += 1
        }
    }

    /// acc += Σ_j weights[j] · row_j over `count` rows `stride` apart. Four rows per pass over `acc` cut
    /// the loads and stores of the accumulator, which otherwise bound this loop.
    @inline(__always)
    static func accumulate(_ weights: UnsafePointer<Float>, _ rows: UnsafePointer<Float>, stride: Int, count: Int, dim: Int,
                           into acc: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 4 <= count {
            let r0 = rows + j * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride
            let w0 = SIMD16<Float>(repeating: weights[j]), w1 = SIMD16<Float>(repeating: weights[j + 1])
            let w2 = SIMD16<Float>(repeating: weights[j + 2]), w3 = SIMD16<Float>(repeating: weights[j + 3])
            var d = 0
            while d + 16 <= dim {
                var a = VectorMath.load(acc + d)
                a = a.addingProduct(w0, VectorMath.load(r0 + d))
                a = a.addingProduct(w1, VectorMath.load(r1 + d))
                a = a.addingProduct(w2, VectorMath.load(r2 + d))
                a = a.addingProduct(w3, VectorMath.load(r3 + d))
                VectorMath.store(a, acc + d)
                d += 16
            }
            while d < dim {
                acc[d] += weights[j] * r0[d] + weights[j + 1] * r1[d] + weights[j + 2] * r2[d] + weights[j + 3] * r3[d]
                d += 1
            }
            j += 4
        }
        while j < count {
            VectorMath.axpy(weights[j], rows + j * stride, acc, count: dim)
            j += 1
        }
    }

    /// x[j] = exp(x[j] − shift) in place; returns the sum.
    @inline(__always)
    static func exponentiate(_ x: UnsafeMutablePointer<Float>, count: Int, minus shift: Float) -> Float {
        let m = SIMD16<Float>(repeating: shift)
        var sum = SIMD16<Float>()
        var j = 0
        while j + 16 <= count {
            let e = VectorMath.exp(VectorMath.load(x + j) - m)
            VectorMath.store(e, x + j)
            sum += e
            j += 16
        }
        if j < count {
            let e = VectorMath.exp(VectorMath.load(x + j, count: count - j, fill: -.infinity) - m)
            VectorMath.store(e, x + j, count: count - j)
            sum += e
        }
        return sum.sum()
    }
}
