import CSeedPrefetch
import SeedTensor

/// `y (+)= x · Wᵀ` for the few rows of a decoding step (one per active sequence), with W stored `[out, in]`.
///
/// At one or two rows decoding is bound by reading the weights: every weight is used once or twice. So the
/// weight matrix is streamed exactly once per call, front to back, split by output row over the pool: each
/// thread reads one long contiguous stream, the order the prefetchers serve fastest, and asks for each line
/// 4 KB before it reads it (`prefetchDistance`). Interleaving four weight rows instead (four streams 3 KB
/// apart for a 768-wide model) read 25–28 GB/s against 43–48 GB/s row by row, with 41 GB/s for a plain
/// read of memory (GPT-2-small-sized matrices, two threads, SCHED_FIFO).
///
/// From three rows on, arithmetic sets the time (eight rows are 2 GFLOP per GPT-2-small token step), and
/// what limits it is loads: a plain dot product loads two vectors per FMA. So the rows meet the weights in
/// blocks of two input rows by three weight rows, twelve 8-lane accumulators in registers (there are 16
/// without AVX-512, which the AMD development VM did not expose), five loads for six FMAs. The weights go by
/// in tiles of 128 KB: a tile comes from memory once, met by the first four input rows (two pairs per weight
/// row, the second reading the row from L1, which keeps up with memory), and stays in L2 while every
/// further pair of input rows, small enough for L1, goes over it. (Each input row meeting each weight row in
/// turn instead kept eight rows of a 2048-wide input, 64 KB, out of L1: an eight-row step of GPT-2 small
/// took 40 ms, 1.5 of them now.)
///
/// Each output is the same fixed-order dot product (even and odd 8-float chunks summed apart, then together,
/// then the tail) whatever the number of input rows and whichever kernel computes it, so a sequence gets the
/// same bits whether it decodes alone or in a batch.
enum DecodeMatmul {
    typealias V = SIMD8<Float>

    /// Above this many input rows the packed GEMM is faster. It packs the weights on every call, which a
    /// step of a few dozen rows does not pay back: on GPT-2 small an engine step of 32 rows took 152 ms
    /// through the GEMM and 78 ms here, 128 rows 334 and 289 ms; at 192 rows both took 448 ms.
    static let maximumRows = 128

    static func multiply(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                         rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool, pool: ThreadPool = .shared) {
        if m == 0 || n == 0 { return }
        // Waking a second thread costs a few microseconds: it pays back from 64K multiply-adds, whether
        // they come from a few hundred kilobytes of weights (a second thread doubles the bandwidth) or
        // from a small matrix met by many rows.
        let runner = m * n * k >= 1 << 16 ? pool : ThreadPool.inline
        // Two pieces per thread, taken in turn: when the OS parks one thread (the server's I/O threads share
        // the cores), the other takes its remaining piece instead of waiting, and each piece is still one
        // long contiguous stream.
        let pieces = max(1, min(n / 16, runner.threadCount * 2))
        let tileRows = m <= 2 ? n : max(3, (128 << 10) / (k * 4) / 3 * 3)
        runner.parallelFor(pieces) { piece in
            let range = (n * piece / pieces)..<(n * (piece + 1) / pieces)
            var start = range.lowerBound
            while start < range.upperBound {
                let tile = start..<min(range.upperBound, start + tileRows)
                // The first rows bring the tile from memory, one weight row after the other, four input
                // rows meeting each; the next pairs find it in L2, where reading three weight rows at once
                // costs nothing.
                var i: Int
                if m >= 4 {
                    quadRowByRow(x, y, w, tile, n: n, k: k, accumulate: accumulate)
                    i = 4
                } else if m >= 2 {
                    pairRowByRow(x, y, w, tile, n: n, k: k, accumulate: accumulate)
                    i = 2
                } else {
                    for j in tile { store(dot(x, w + j * k, k, ahead: prefetchDistance), y + j, accumulate) }
                    i = 1
                }
                while i + 1 < m {
                    pairOverTile(x + i * k, y + i * n, w, tile, n: n, k: k, accumulate: accumulate)
                    i += 2
                }
                if i < m {
                    for j in tile { store(dot(x + i * k, w + j * k, k), y + i * n + j, accumulate) }
                }
                start = tile.upperBound
            }
        }
    }

    @inline(__always)
    static func store(_ value: Float, _ target: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        target.pointee = accumulate ? target.pointee + value : value
    }

    /// Input rows `x` and `x + k` against the weight rows of `tile`, three weight rows at a time.
    @inline(__always)
    static func pairOverTile(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>,
                             _ tile: Range<Int>, n: Int, k: Int, accumulate: Bool) {
        var j = tile.lowerBound
        while j + 3 <= tile.upperBound {
            let r = block2x3(x, x + k, w + j * k, k)
            store(r.0, y + j, accumulate); store(r.1, y + j + 1, accumulate); store(r.2, y + j + 2, accumulate)
            store(r.3, y + n + j, accumulate); store(r.4, y + n + j + 1, accumulate); store(r.5, y + n + j + 2, accumulate)
            j += 3
        }
        while j < tile.upperBound {
            store(dot(x, w + j * k, k), y + j, accumulate)
            store(dot(x + k, w + j * k, k), y + n + j, accumulate)
            j += 1
        }
    }

    /// Input rows `x` and `x + k` against the weight rows of `tile` one at a time, each load of a weight
    /// shared by both rows.
    @inline(__always)
    static func pairRowByRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>,
                             _ tile: Range<Int>, n: Int, k: Int, accumulate: Bool) {
        for j in tile {
            let (first, second) = dot2(x, x + k, w + j * k, k, ahead: prefetchDistance)
            store(first, y + j, accumulate)
            store(second, y + n + j, accumulate)
        }
    }

    /// Input rows `x` to `x + 3k` against the weight rows of `tile` one at a time: a tile that comes from
    /// memory serves four rows for the price of one pass, where the L2 passes of `pairOverTile` would cost
    /// a pass per two rows. The second pair finds the weight row in L1, where the first pair left it.
    @inline(__always)
    static func quadRowByRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>,
                             _ tile: Range<Int>, n: Int, k: Int, accumulate: Bool) {
        for j in tile {
            let (r0, r1) = dot2(x, x + k, w + j * k, k, ahead: prefetchDistance)
            let (r2, r3) = dot2(x + 2 * k, x + 3 * k, w + j * k, k, ahead: 0)
            store(r0, y + j, accumulate)
            store(r1, y + n + j, accumulate)
            store(r2, y + 2 * n + j, accumulate)
            store(r3, y + 3 * n + j, accumulate)
        }
    }

    /// `dot` of two input rows with one weight row, in the same order, sharing each weight load; `ahead` as
    /// in `dot`.
    @inline(__always)
    static func dot2(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int, ahead: Int) -> (Float, Float) {
        let r0 = UnsafeRawPointer(x0), r1 = UnsafeRawPointer(x1), rw = UnsafeRawPointer(w)
        var a0 = V(), b0 = V(), a1 = V(), b1 = V()
        var p = 0
        while p + 16 <= k {
            let o = p * 4
            if ahead > 0 { seed_prefetch_read(rw + o + ahead) }
            let c = rw.loadUnaligned(fromByteOffset: o, as: V.self), d = rw.loadUnaligned(fromByteOffset: o + 32, as: V.self)
            a0 = a0.addingProduct(r0.loadUnaligned(fromByteOffset: o, as: V.self), c)
            b0 = b0.addingProduct(r0.loadUnaligned(fromByteOffset: o + 32, as: V.self), d)
            a1 = a1.addingProduct(r1.loadUnaligned(fromByteOffset: o, as: V.self), c)
            b1 = b1.addingProduct(r1.loadUnaligned(fromByteOffset: o + 32, as: V.self), d)
            p += 16
        }
        return (finish(a0, b0, x0, w, from: p, k), finish(a1, b1, x1, w, from: p, k))
    }

    /// How far ahead of its reads a pass that brings the weights from memory asks for them (one prefetch per
    /// line of weights; the rows are consecutive, so this reaches into the next rows). The hardware
    /// prefetcher alone kept too few lines in flight: decoding a GPT-2-small-sized model on two threads of
    /// an Intel Xeon VM went from 28–40 to 36–44 tokens/s with 4 KB (2 KB gave less; 6 and 8 KB the same).
    static let prefetchDistance = 4096

    /// The dot product of `x` and one weight row: two accumulators (even and odd 8-float chunks). A row
    /// that comes from memory asks for the weights `ahead` bytes on (`prefetchDistance`); 0 asks for none.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int, ahead: Int = 0) -> Float {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(w)
        var a = V(), b = V()
        var p = 0
        while p + 16 <= k {
            let o = p * 4
            if ahead > 0 { seed_prefetch_read(rw + o + ahead) }
            a = a.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: V.self), rw.loadUnaligned(fromByteOffset: o, as: V.self))
            b = b.addingProduct(rx.loadUnaligned(fromByteOffset: o + 32, as: V.self), rw.loadUnaligned(fromByteOffset: o + 32, as: V.self))
            p += 16
        }
        return finish(a, b, x, w, from: p, k)
    }

    /// Closes a dot product the one way every kernel does: the two accumulators, then their lanes halved
    /// three times (8 → 4 → 2 → 1), then the tail in order. `SIMD8.sum()` adds the lanes one after the
    /// other: seven dependent scalar adds and six shuffles per output, which at 128 inputs (the demo
    /// model's rows, eight 16-float steps) cost about as much as the multiply-adds of a 2×3 block.
    @inline(__always)
    static func finish(_ a: V, _ b: V, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, from p: Int, _ k: Int) -> Float {
        let eight = a + b
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        var result = two[0] + two[1]
        for q in p..<k { result += x[q] * w[q] }
        return result
    }

    /// `dot` of two input rows with three consecutive weight rows, in the same order, each load shared.
    @inline(__always)
    static func block2x3(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int)
        -> (Float, Float, Float, Float, Float, Float) {
        let r0 = UnsafeRawPointer(x0), r1 = UnsafeRawPointer(x1)
        let w0 = UnsafeRawPointer(w), w1 = UnsafeRawPointer(w + k), w2 = UnsafeRawPointer(w + 2 * k)
        var a00 = V(), b00 = V(), a01 = V(), b01 = V(), a02 = V(), b02 = V()
        var a10 = V(), b10 = V(), a11 = V(), b11 = V(), a12 = V(), b12 = V()
        var p = 0
        while p + 16 <= k {
            let o = p * 4
            var u = r0.loadUnaligned(fromByteOffset: o, as: V.self), v = r1.loadUnaligned(fromByteOffset: o, as: V.self)
            var c = w0.loadUnaligned(fromByteOffset: o, as: V.self)
            a00 = a00.addingProduct(u, c); a10 = a10.addingProduct(v, c)
            c = w1.loadUnaligned(fromByteOffset: o, as: V.self)
            a01 = a01.addingProduct(u, c); a11 = a11.addingProduct(v, c)
            c = w2.loadUnaligned(fromByteOffset: o, as: V.self)
            a02 = a02.addingProduct(u, c); a12 = a12.addingProduct(v, c)
            u = r0.loadUnaligned(fromByteOffset: o + 32, as: V.self); v = r1.loadUnaligned(fromByteOffset: o + 32, as: V.self)
            c = w0.loadUnaligned(fromByteOffset: o + 32, as: V.self)
            b00 = b00.addingProduct(u, c); b10 = b10.addingProduct(v, c)
            c = w1.loadUnaligned(fromByteOffset: o + 32, as: V.self)
            b01 = b01.addingProduct(u, c); b11 = b11.addingProduct(v, c)
            c = w2.loadUnaligned(fromByteOffset: o + 32, as: V.self)
            b02 = b02.addingProduct(u, c); b12 = b12.addingProduct(v, c)
            p += 16
        }
        return (finish(a00, b00, x0, w, from: p, k), finish(a01, b01, x0, w + k, from: p, k), finish(a02, b02, x0, w + 2 * k, from: p, k),
                finish(a10, b10, x1, w, from: p, k), finish(a11, b11, x1, w + k, from: p, k), finish(a12, b12, x1, w + 2 * k, from: p, k))
    }
}
