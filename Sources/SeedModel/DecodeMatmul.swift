import SeedTensor

/// `y (+)= x · Wᵀ` for the few rows of a decoding step (one per active sequence), with W stored `[out, in]`.
///
/// Decoding is bound by reading the weights, not by arithmetic: at one row every weight is used once. So
/// the weight matrix is streamed exactly once per call, split by output row over the pool. Each output is
/// the same fixed-order dot product whatever the number of input rows and whichever path computes it, so a
/// sequence gets the same bits whether it decodes alone or in a batch.
///
/// Two paths, by the number of input rows:
/// - Few rows: one weight row at a time, front to back, so that each thread reads one contiguous stream.
///   Interleaving four rows (four streams 3 KB apart for a 768-wide model) kept the prefetchers from ever
///   getting ahead: 25–28 GB/s against 43–48 GB/s row by row, with 41 GB/s for a plain read of memory
///   (a GPT-2-small-sized model's matrices, two threads, measured under SCHED_FIFO on the 2 cores).
/// - More rows: four weight rows at a time against every input row, so that each loaded input chunk
///   feeds four FMAs; there the loads, not memory, become the limit.
enum DecodeMatmul {
    typealias V = SIMD16<Float>

    /// Above this many input rows the packed GEMM, which reuses each weight from registers, is faster.
    static let maximumRows = 16
    /// From this many input rows on, weight rows are taken four at a time.
    static let blockedFromRows = 6

    static func multiply(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                         rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool, pool: ThreadPool = .shared) {
        if m == 0 || n == 0 { return }
        // Memory, not arithmetic, sets the time: a second thread doubles the bandwidth of anything beyond
        // a few hundred kilobytes of weights, where waking it (a few microseconds) is already paid back.
        let runner = n * k >= 1 << 16 ? pool : ThreadPool.inline
        // Two pieces per thread, taken in turn: when the OS parks one thread (the server's I/O threads share
        // the cores), the other takes its remaining piece instead of waiting, and each piece is still one
        // long contiguous stream.
        let pieces = max(1, min(n / 16, runner.threadCount * 2))
        if m < blockedFromRows {
            runner.parallelFor(pieces) { piece in
                for j in (n * piece / pieces)..<(n * (piece + 1) / pieces) {
                    for i in 0..<m {
                        let value = dot4(x + i * k, w + j * k, k, rowCount: 1)[0]
                        y[i * n + j] = accumulate ? y[i * n + j] + value : value
                    }
                }
            }
            return
        }
        let blocks = (n + 3) / 4
        runner.parallelFor(min(pieces, blocks)) { piece in
            let count = min(pieces, blocks)
            for block in (blocks * piece / count)..<(blocks * (piece + 1) / count) {
                let j = block * 4
                if j + 4 <= n {
                    // The first input row reads the four weight rows one after the other, the order memory
                    // streams fastest; the others find them in L1.
                    for r in 0..<4 {
                        let value = dot4(x, w + (j + r) * k, k, rowCount: 1)[0]
                        y[j + r] = accumulate ? y[j + r] + value : value
                    }
                    for i in 1..<m {
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
