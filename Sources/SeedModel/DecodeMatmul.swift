import CSeedPrefetch
import SeedTensor

/// A weight matrix `W [out, in]` in `DecodeMatmul`'s layout: panels of `DecodeMatmul.panelWidth` outputs,
/// each stored input by input (`[in][32]`: the 32 weights that one input meets are two adjacent cache lines),
/// the last panel padded with zero weights.
public struct WeightPanels: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let outputs: Int
    public let inputs: Int

    public init(pointer: UnsafePointer<Float>, outputs: Int, inputs: Int) {
        self.pointer = pointer
        self.outputs = outputs
        self.inputs = inputs
    }

    public var panelCount: Int { (outputs + DecodeMatmul.panelWidth - 1) / DecodeMatmul.panelWidth }
    /// Floats the packed matrix takes, padding included.
    public static func floatCount(outputs: Int, inputs: Int) -> Int {
        (outputs + DecodeMatmul.panelWidth - 1) / DecodeMatmul.panelWidth * DecodeMatmul.panelWidth * inputs
    }
}

/// `y (+)= x · Wᵀ` for the few rows of a decoding step (one per active sequence), with W packed once into
/// `WeightPanels`.
///
/// In W's own layout (`[out, in]`) each output is a dot product along a weight row, and with eight rows the
/// closing of those dot products (adding a vector's lanes) cost as much as their multiply-adds at the demo
/// model's 128 inputs; with 8-lane accumulators an eight-row step reached only 60–75 % of the FMA peak.
/// In panels, an input's 32 weights sit side by side: each input row's value is broadcast and multiplied
/// into two 16-lane accumulators per row, which hold finished outputs at the end, with nothing to close.
/// Eight rows keep sixteen accumulators in registers, and each input costs two loads of weights and eight
/// broadcasts for sixteen FMAs. On the demo model the matrices of an eight-row step took 120–134 µs against
/// 314–426 before, as long as one row's (a throwaway benchmark, one thread).
///
/// At one or two rows decoding is bound by reading the weights, each used once or twice. A panel is one
/// contiguous stretch of memory and the panels follow each other, so every thread reads one long stream,
/// the order the prefetchers serve fastest, and asks for each line 4 KB before it reads it
/// (`prefetchDistance`). Every further block of rows finds the panel in L1 or L2 (32 outputs × 768 inputs
/// are 96 KB).
///
/// Each output is the same chain of multiply-adds, input 0 first, whatever the number of rows and whichever
/// kernel computes it, so a sequence gets the same bits whether it decodes alone or in a batch.
enum DecodeMatmul {
    typealias V = SIMD16<Float>

    /// Outputs per panel: two 16-lane accumulators per input row, so that eight rows fill 16 of the 32
    /// vector registers and leave room for the weights and broadcasts.
    static let panelWidth = 32

    /// Above this many input rows the GEMM, which packs the weights on every call, is as fast or faster:
    /// on GPT-2 small a 128-token prompt (panels) and a 129-token one (GEMM) read at 682–970 and 692–838
    /// tokens/s in alternating runs, a 512-token one (GEMM) at about 1,000.
    static let maximumRows = 128

    /// How far ahead of its reads the pass that brings a panel from memory asks for it (two prefetches per
    /// input, one per line; the panels are consecutive, so this reaches into the next one). The hardware
    /// prefetcher alone kept too few lines in flight: decoding a GPT-2-small-sized model on two threads of
    /// an Intel Xeon VM went from 28–40 to 36–44 tokens/s with 4 KB (2 KB gave less; 6 and 8 KB the same).
    static let prefetchDistance = 4096

    /// Packs `w [n, k]` into `target`, which holds `WeightPanels.floatCount(outputs: n, inputs: k)` floats.
    static func pack(_ w: UnsafePointer<Float>, outputs n: Int, inputs k: Int, into target: UnsafeMutablePointer<Float>,
                     pool: ThreadPool = .shared) {
        let panels = WeightPanels(pointer: target, outputs: n, inputs: k).panelCount
        let pieces = max(1, min(panels, pool.threadCount * 4))
        pool.parallelFor(pieces) { piece in
            for panel in (panels * piece / pieces)..<(panels * (piece + 1) / pieces) {
                let out = target + panel * panelWidth * k
                for c in 0..<panelWidth {
                    let o = panel * panelWidth + c
                    if o < n {
                        for i in 0..<k { out[i * panelWidth + c] = w[o * k + i] }
                    } else {
                        for i in 0..<k { out[i * panelWidth + c] = 0 }
                    }
                }
            }
        }
    }

    static func multiply(_ x: UnsafePointer<Float>, _ w: WeightPanels, _ y: UnsafeMutablePointer<Float>,
                         rows m: Int, accumulate: Bool, pool: ThreadPool = .shared) {
        let n = w.outputs, k = w.inputs
        if m == 0 || n == 0 { return }
        // Waking a second thread costs a few microseconds: it pays back from 64K multiply-adds, whether
        // they come from a few hundred kilobytes of weights (a second thread doubles the bandwidth) or
        // from a small matrix met by many rows.
        let runner = m * n * k >= 1 << 16 ? pool : ThreadPool.inline
        // Two pieces per thread, taken in turn: when the OS parks one thread (the server's I/O threads share
        // the cores), the other takes its remaining piece instead of waiting, and each piece is still one
        // long contiguous stream.
        let panels = w.panelCount
        let pieces = max(1, min(panels, runner.threadCount * 2))
        runner.parallelFor(pieces) { piece in
            for panel in (panels * piece / pieces)..<(panels * (piece + 1) / pieces) {
                let weights = w.pointer + panel * panelWidth * k
                let first = panel * panelWidth
                let columns = min(panelWidth, n - first)
                // The first block of rows brings the panel from memory; the next find it in cache.
                var r = 0
                while r + 8 <= m {
                    rows8(x + r * k, k, weights, y + r * n + first, n, columns, accumulate, ahead: r == 0 ? prefetchDistance : 0)
                    r += 8
                }
                if r + 4 <= m {
                    rows4(x + r * k, k, weights, y + r * n + first, n, columns, accumulate, ahead: r == 0 ? prefetchDistance : 0)
                    r += 4
                }
                if r + 2 <= m {
                    rows2(x + r * k, k, weights, y + r * n + first, n, columns, accumulate, ahead: r == 0 ? prefetchDistance : 0)
                    r += 2
                }
                if r < m {
                    rows1(x + r * k, k, weights, y + r * n + first, columns, accumulate, ahead: r == 0 ? prefetchDistance : 0)
                }
            }
        }
    }

    /// Writes (or adds) one row's 32 outputs, or the first `columns` of them in the last panel.
    @inline(__always)
    static func store(_ low: V, _ high: V, _ y: UnsafeMutablePointer<Float>, _ columns: Int, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(y)
        if columns == panelWidth {
            if accumulate {
                raw.storeBytes(of: raw.loadUnaligned(as: V.self) + low, as: V.self)
                raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 64, as: V.self) + high, toByteOffset: 64, as: V.self)
            } else {
                raw.storeBytes(of: low, as: V.self)
                raw.storeBytes(of: high, toByteOffset: 64, as: V.self)
            }
        } else {
            for c in 0..<columns {
                let value = c < 16 ? low[c] : high[c - 16]
                y[c] = accumulate ? y[c] + value : value
            }
        }
    }

    /// The two lines of weights that input `i` meets, asking for the lines `ahead` bytes on (0: none).
    @inline(__always)
    static func weights(_ w: UnsafeRawPointer, _ i: Int, ahead: Int) -> (V, V) {
        let offset = i * panelWidth * 4
        if ahead > 0 {
            seed_prefetch_read(w + offset + ahead)
            seed_prefetch_read(w + offset + ahead + 64)
        }
        return (w.loadUnaligned(fromByteOffset: offset, as: V.self), w.loadUnaligned(fromByteOffset: offset + 64, as: V.self))
    }

    @inline(__always)
    static func rows1(_ x: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                      _ columns: Int, _ accumulate: Bool, ahead: Int) {
        let raw = UnsafeRawPointer(w)
        var a = V(), b = V()
        for i in 0..<k {
            let (c, d) = weights(raw, i, ahead: ahead)
            let s = V(repeating: x[i])
            a = a.addingProduct(s, c); b = b.addingProduct(s, d)
        }
        store(a, b, y, columns, accumulate)
    }

    @inline(__always)
    static func rows2(_ x: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                      _ n: Int, _ columns: Int, _ accumulate: Bool, ahead: Int) {
        let raw = UnsafeRawPointer(w)
        var a0 = V(), b0 = V(), a1 = V(), b1 = V()
        for i in 0..<k {
            let (c, d) = weights(raw, i, ahead: ahead)
            var s = V(repeating: x[i]); a0 = a0.addingProduct(s, c); b0 = b0.addingProduct(s, d)
            s = V(repeating: x[k + i]); a1 = a1.addingProduct(s, c); b1 = b1.addingProduct(s, d)
        }
        store(a0, b0, y, columns, accumulate)
        store(a1, b1, y + n, columns, accumulate)
    }

    @inline(__always)
    static func rows4(_ x: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                      _ n: Int, _ columns: Int, _ accumulate: Bool, ahead: Int) {
        let raw = UnsafeRawPointer(w)
        var a0 = V(), b0 = V(), a1 = V(), b1 = V(), a2 = V(), b2 = V(), a3 = V(), b3 = V()
        for i in 0..<k {
            let (c, d) = weights(raw, i, ahead: ahead)
            var s = V(repeating: x[i]); a0 = a0.addingProduct(s, c); b0 = b0.addingProduct(s, d)
            s = V(repeating: x[k + i]); a1 = a1.addingProduct(s, c); b1 = b1.addingProduct(s, d)
            s = V(repeating: x[2 * k + i]); a2 = a2.addingProduct(s, c); b2 = b2.addingProduct(s, d)
            s = V(repeating: x[3 * k + i]); a3 = a3.addingProduct(s, c); b3 = b3.addingProduct(s, d)
        }
        store(a0, b0, y, columns, accumulate)
        store(a1, b1, y + n, columns, accumulate)
        store(a2, b2, y + 2 * n, columns, accumulate)
        store(a3, b3, y + 3 * n, columns, accumulate)
    }

    @inline(__always)
    static func rows8(_ x: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                      _ n: Int, _ columns: Int, _ accumulate: Bool, ahead: Int) {
        let raw = UnsafeRawPointer(w)
        var a0 = V(), b0 = V(), a1 = V(), b1 = V(), a2 = V(), b2 = V(), a3 = V(), b3 = V()
        var a4 = V(), b4 = V(), a5 = V(), b5 = V(), a6 = V(), b6 = V(), a7 = V(), b7 = V()
        for i in 0..<k {
            let (c, d) = weights(raw, i, ahead: ahead)
            var s = V(repeating: x[i]); a0 = a0.addingProduct(s, c); b0 = b0.addingProduct(s, d)
            s = V(repeating: x[k + i]); a1 = a1.addingProduct(s, c); b1 = b1.addingProduct(s, d)
            s = V(repeating: x[2 * k + i]); a2 = a2.addingProduct(s, c); b2 = b2.addingProduct(s, d)
            s = V(repeating: x[3 * k + i]); a3 = a3.addingProduct(s, c); b3 = b3.addingProduct(s, d)
            s = V(repeating: x[4 * k + i]); a4 = a4.addingProduct(s, c); b4 = b4.addingProduct(s, d)
            s = V(repeating: x[5 * k + i]); a5 = a5.addingProduct(s, c); b5 = b5.addingProduct(s, d)
            s = V(repeating: x[6 * k + i]); a6 = a6.addingProduct(s, c); b6 = b6.addingProduct(s, d)
            s = V(repeating: x[7 * k + i]); a7 = a7.addingProduct(s, c); b7 = b7.addingProduct(s, d)
        }
        store(a0, b0, y, columns, accumulate)
        store(a1, b1, y + n, columns, accumulate)
        store(a2, b2, y + 2 * n, columns, accumulate)
        store(a3, b3, y + 3 * n, columns, accumulate)
        store(a4, b4, y + 4 * n, columns, accumulate)
        store(a5, b5, y + 5 * n, columns, accumulate)
        store(a6, b6, y + 6 * n, columns, accumulate)
        store(a7, b7, y + 7 * n, columns, accumulate)
    }
}
