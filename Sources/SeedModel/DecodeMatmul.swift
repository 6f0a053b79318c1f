import SeedTensor

/// `y (+)= x · Wᵀ` for the few rows of a decoding step (one per active sequence), with W stored `[out, in]`.
///
/// Decoding is bound by reading the weights, not by arithmetic: at one row every weight is used once. So
/// the weight matrix is streamed exactly once per call, front to back, split by output row over the pool:
/// each thread reads one long contiguous stream, the order the prefetchers serve fastest. Interleaving four
/// weight rows instead (four streams 3 KB apart for a 768-wide model) read 25–28 GB/s against 43–48 GB/s row
/// by row, with 41 GB/s for a plain read of memory (GPT-2-small-sized matrices, two threads, SCHED_FIFO).
///
/// Every input row meets a weight row while it sits in L1, two input rows at a time so that each weight
/// chunk loaded feeds two FMAs. The kernels keep at most four 16-lane accumulators (eight ymm registers
/// without AVX-512, which this machine's VM does not expose): a wider block spilled its accumulators to the
/// stack and ran at 80 GFLOP/s in cache.
///
/// Each output is the same fixed-order dot product (even and odd 16-float chunks summed apart, then
/// together, then the tail) whatever the number of input rows and whichever kernel computes it, so a
/// sequence gets the same bits whether it decodes alone or in a batch.
enum DecodeMatmul {
    typealias V = SIMD16<Float>

    /// Above this many input rows the packed GEMM, which reuses each weight from registers, is faster.
    static let maximumRows = 16

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
        runner.parallelFor(pieces) { piece in
            for j in (n * piece / pieces)..<(n * (piece + 1) / pieces) {
                let row = w + j * k
                func store(_ value: Float, _ i: Int) {
                    y[i * n + j] = accumulate ? y[i * n + j] + value : value
                }
                var i = 0
                while i + 1 < m {
                    let (first, second) = dot2(x + i * k, x + (i + 1) * k, row, k)
                    store(first, i)
                    store(second, i + 1)
                    i += 2
                }
                if i < m { store(dot(x + i * k, row, k), i) }
            }
        }
    }

    /// The dot product of `x` and one weight row: two accumulators (even and odd 16-float chunks).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int) -> Float {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(w)
        var a = V(), b = V()
        var p = 0
        while p + 32 <= k {
            let o = p * 4
            a = a.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: V.self), rw.loadUnaligned(fromByteOffset: o, as: V.self))
            b = b.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: V.self), rw.loadUnaligned(fromByteOffset: o + 64, as: V.self))
            p += 32
        }
        var result = (a + b).sum()
        while p < k {
            result += x[p] * w[p]
            p += 1
        }
        return result
    }

    /// `dot` for two input rows against one weight row, in the same order, sharing each weight load.
    @inline(__always)
    static func dot2(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int) -> (Float, Float) {
        let r0 = UnsafeRawPointer(x0), r1 = UnsafeRawPointer(x1), rw = UnsafeRawPointer(w)
        var a0 = V(), b0 = V(), a1 = V(), b1 = V()
        var p = 0
        while p + 32 <= k {
            let o = p * 4
            let wa = rw.loadUnaligned(fromByteOffset: o, as: V.self), wb = rw.loadUnaligned(fromByteOffset: o + 64, as: V.self)
            a0 = a0.addingProduct(r0.loadUnaligned(fromByteOffset: o, as: V.self), wa)
            b0 = b0.addingProduct(r0.loadUnaligned(fromByteOffset: o + 64, as: V.self), wb)
            a1 = a1.addingProduct(r1.loadUnaligned(fromByteOffset: o, as: V.self), wa)
            b1 = b1.addingProduct(r1.loadUnaligned(fromByteOffset: o + 64, as: V.self), wb)
            p += 32
        }
        var first = (a0 + b0).sum(), second = (a1 + b1).sum()
        while p < k {
            first += x0[p] * w[p]
            second += x1[p] * w[p]
            p += 1
        }
        return (first, second)
    }
}
