import SeedTensor

/// `y (+)= x · Wᵀ` for the few rows of a decoding step (one per active sequence), with W stored `[out, in]`.
///
/// Decoding is bound by reading the weights, not by arithmetic: at one row every weight is used once. So
/// the weight matrix is streamed exactly once per call, four rows at a time, split by output row over the
/// pool, and every input row is multiplied against those four weight rows while they sit in L1. Each output
/// is the same fixed-order dot product whatever the number of input rows, so a sequence gets the same bits
/// whether it decodes alone or in a batch.
enum DecodeMatmul {
    typealias V = SIMD16<Float>

    /// Above this many input rows the packed GEMM, which reuses each weight from registers, is faster.
    static let maximumRows = 16

    static func multiply(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                         rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool, pool: ThreadPool = .shared) {
        if m == 0 || n == 0 { return }
        let blocks = (n + 3) / 4
        // Below about a million multiply-adds, waking the other threads costs more than it saves.
        let runner = m * n * k >= 1 << 20 ? pool : ThreadPool.inline
        // Eight pieces per thread, taken in turn: when the OS parks one thread (the server's I/O threads
        // share the cores), the others take its remaining pieces instead of waiting for it.
        let pieces = max(1, min(blocks / 4, runner.threadCount * 8))
        runner.parallelFor(pieces) { piece in
            for block in (blocks * piece / pieces)..<(blocks * (piece + 1) / pieces) {
                let j = block * 4
                if j + 4 <= n {
                    for i in 0..<m {
                        let sums = dot4(x + i * k, w + j * k, k)
                        let out = y + i * n + j
                        for r in 0..<4 { out[r] = accumulate ? out[r] + sums[r] : sums[r] }
                    }
                } else {
                    for jj in j..<n {
                        for i in 0..<m {
                            let value = dot4(x + i * k, w + jj * k, k, rowCount: 1)[0]
                            y[i * n + jj] = accumulate ? y[i * n + jj] + value : value
                        }
                    }
                }
            }
        }
    }

    /// The dot products of `x` with `rowCount` (1 or 4) consecutive weight rows, two 16-lane chunks per
    /// iteration so that eight FMA chains are in flight. The summation order depends on `k` only.
    @inline(__always)
    static func dot4(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int, rowCount: Int = 4) -> SIMD4<Float> {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(w)
        let rowBytes = k * 4
        var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V()
        var p = 0
        if rowCount == 4 {
            while p + 32 <= k {
                let o = p * 4
                let xa = rx.loadUnaligned(fromByteOffset: o, as: V.self), xb = rx.loadUnaligned(fromByteOffset: o + 64, as: V.self)
                a0 = a0.addingProduct(xa, rw.loadUnaligned(fromByteOffset: o, as: V.self))
                b0 = b0.addingProduct(xb, rw.loadUnaligned(fromByteOffset: o + 64, as: V.self))
                a1 = a1.addingProduct(xa, rw.loadUnaligned(fromByteOffset: rowBytes + o, as: V.self))
                b1 = b1.addingProduct(xb, rw.loadUnaligned(fromByteOffset: rowBytes + o + 64, as: V.self))
                a2 = a2.addingProduct(xa, rw.loadUnaligned(fromByteOffset: 2 * rowBytes + o, as: V.self))
                b2 = b2.addingProduct(xb, rw.loadUnaligned(fromByteOffset: 2 * rowBytes + o + 64, as: V.self))
                a3 = a3.addingProduct(xa, rw.loadUnaligned(fromByteOffset: 3 * rowBytes + o, as: V.self))
                b3 = b3.addingProduct(xb, rw.loadUnaligned(fromByteOffset: 3 * rowBytes + o + 64, as: V.self))
                p += 32
            }
        } else {
            while p + 32 <= k {
                let o = p * 4
                a0 = a0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: V.self), rw.loadUnaligned(fromByteOffset: o, as: V.self))
                b0 = b0.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: V.self), rw.loadUnaligned(fromByteOffset: o + 64, as: V.self))
                p += 32
            }
        }
        var result = SIMD4<Float>((a0 + b0).sum(), (a1 + b1).sum(), (a2 + b2).sum(), (a3 + b3).sum())
        while p < k {
            let xp = x[p]
            for r in 0..<rowCount { result[r] += xp * w[r * k + p] }
            p += 1
        }
        return result
    }
}
