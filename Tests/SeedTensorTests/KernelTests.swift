import XCTest
import Foundation
import SeedTensor

/// Every kernel against a plain float64 reference written here, on odd and tiny shapes; backward kernels
/// also against finite differences of the reference forward.
final class KernelTests: XCTestCase {
    // MARK: Softmax

    private func refSoftmax(_ x: [Double], rows: Int, cols: Int) -> [Double] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)]
            let m = row.max()!
            let sum = row.reduce(0) { $0 + Foundation.exp($1 - m) }
            for j in 0..<cols { y[r * cols + j] = Foundation.exp(x[r * cols + j] - m) / sum }
        }
        return y
    }

    func testSoftmaxRows() {
        var rng = RefRandom(seed: 1)
        for (rows, cols, scale) in [(1, 1, 1), (2, 3, 5), (5, 17, 10), (3, 33, 30), (1, 1000, 50), (70, 500, 8)] as [(Int, Int, Float)] {
            let x = rng.floats(rows * cols, scale: scale)
            let buffer = refBuffer(x)
            Softmax.rows(buffer.pointer, rows: rows, cols: cols)
            refAssertClose(buffer.array, refSoftmax(refDoubles(x), rows: rows, cols: cols), tolerance: 1e-6, "\(rows)x\(cols)")
        }
    }

    // MARK: RMSNorm

    private func refRMSNorm(_ x: [Double], _ w: [Double], rows: Int, dim: Int, eps: Double) -> [Double] {
        var y = x
        for r in 0..<rows {
            var ss = 0.0
            for j in 0..<dim { ss += x[r * dim + j] * x[r * dim + j] }
            let s = 1 / (ss / Double(dim) + eps).squareRoot()
            for j in 0..<dim { y[r * dim + j] = x[r * dim + j] * s * w[j] }
        }
        return y
    }

    private func refRMSNormBackward(_ g: [Double], _ x: [Double], _ w: [Double], rows: Int, dim: Int, eps: Double)
        -> (dx: [Double], dw: [Double]) {
        var dx = [Double](repeating: 0, count: rows * dim), dw = [Double](repeating: 0, count: dim)
        for r in 0..<rows {
            var ss = 0.0, wgx = 0.0
            for j in 0..<dim {
                ss += x[r * dim + j] * x[r * dim + j]
                wgx += w[j] * g[r * dim + j] * x[r * dim + j]
            }
            let s = 1 / (ss / Double(dim) + eps).squareRoot()
            for j in 0..<dim {
                dx[r * dim + j] = s * w[j] * g[r * dim + j] - s * s * s * wgx / Double(dim) * x[r * dim + j]
                dw[j] += g[r * dim + j] * x[r * dim + j] * s
            }
        }
        return (dx, dw)
    }

    func testRMSNormForwardAndBackward() {
        var rng = RefRandom(seed: 2)
        let eps: Float = 1e-5
        for (rows, dim) in [(1, 1), (1, 3), (3, 17), (5, 33), (7, 64), (300, 130)] {
            let x = rng.floats(rows * dim, scale: 2), w = rng.floats(dim), g = rng.floats(rows * dim)
            let dx0 = rng.floats(rows * dim), dw0 = rng.floats(dim)
            let xb = refBuffer(x), wb = refBuffer(w), out = FloatBuffer(count: rows * dim), rstd = FloatBuffer(count: rows)
            RMSNorm.forward(x: xb.pointer, weight: wb.pointer, out: out.pointer, rstd: rstd.pointer, rows: rows, dim: dim, eps: eps)
            let xd = refDoubles(x), wd = refDoubles(w), gd = refDoubles(g)
            refAssertClose(out.array, refRMSNorm(xd, wd, rows: rows, dim: dim, eps: Double(eps)), tolerance: 1e-5, "fwd \(rows)x\(dim)")

            let gb = refBuffer(g), dx = refBuffer(dx0), dw = refBuffer(dw0)
            RMSNorm.backward(dOut: gb.pointer, x: xb.pointer, weight: wb.pointer, rstd: rstd.pointer, dX: dx.pointer,
                             dWeight: dw.pointer, rows: rows, dim: dim)
            let ref = refRMSNormBackward(gd, xd, wd, rows: rows, dim: dim, eps: Double(eps))
            refAssertClose(dx.array, zip(dx0, ref.dx).map { Double($0) + $1 }, tolerance: 1e-4, "dx \(rows)x\(dim)")
            refAssertClose(dw.array, zip(dw0, ref.dw).map { Double($0) + $1 }, tolerance: 1e-4, "dw \(rows)x\(dim)")

            // The analytic reference against finite differences of the reference forward.
            func loss(_ x: [Double], _ w: [Double]) -> Double {
                zip(refRMSNorm(x, w, rows: rows, dim: dim, eps: Double(eps)), gd).reduce(0) { $0 + $1.0 * $1.1 }
            }
            for _ in 0..<2 {
                let i = rng.int(rows * dim), j = rng.int(dim)
                XCTAssertEqual(refFiniteDifference(xd, i) { loss($0, wd) }, ref.dx[i], accuracy: 1e-5 * (1 + abs(ref.dx[i])))
                XCTAssertEqual(refFiniteDifference(wd, j) { loss(xd, $0) }, ref.dw[j], accuracy: 1e-5 * (1 + abs(ref.dw[j])))
            }
        }
    }

    func testRMSNormWeightGradientIsDeterministic() {
        var rng = RefRandom(seed: 3)
        let rows = 517, dim = 96
        let x = refBuffer(rng.floats(rows * dim)), w = refBuffer(rng.floats(dim)), g = refBuffer(rng.floats(rows * dim))
        let out = FloatBuffer(count: rows * dim), rstd = FloatBuffer(count: rows)
        RMSNorm.forward(x: x.pointer, weight: w.pointer, out: out.pointer, rstd: rstd.pointer, rows: rows, dim: dim, eps: 1e-6)
        func run(_ pool: ThreadPool) -> [UInt32] {
            let dx = FloatBuffer(count: rows * dim), dw = FloatBuffer(count: dim)
            RMSNorm.backward(dOut: g.pointer, x: x.pointer, weight: w.pointer, rstd: rstd.pointer, dX: dx.pointer,
                             dWeight: dw.pointer, rows: rows, dim: dim, pool: pool)
            return refBits(dw.array + dx.array)
        }
        let first = run(.shared)
        XCTAssertEqual(first, run(.shared))
        XCTAssertEqual(first, run(.inline))
        XCTAssertEqual(first, run(ThreadPool(threads: 3)))
    }

    // MARK: Activations

    private func refSilu(_ x: Double) -> Double { x / (1 + Foundation.exp(-x)) }
    private func refSiluGrad(_ x: Double) -> Double {
        let s = 1 / (1 + Foundation.exp(-x))
        return s * (1 + x * (1 - s))
    }

    func testSiluForwardAndBackward() {
        var rng = RefRandom(seed: 4)
        for count in [1, 3, 15, 16, 17, 33, 1000, 40_000] {
            var x = rng.floats(count, scale: 8)
            if count > 3 { x[0] = 100; x[1] = -100; x[2] = 0 }
            let g = rng.floats(count)
            let xb = refBuffer(x), out = FloatBuffer(count: count), gb = refBuffer(g), dx = FloatBuffer(count: count)
            Activations.siluForward(x: xb.pointer, out: out.pointer, count: count)
            refAssertClose(out.array, x.map { refSilu(Double($0)) }, tolerance: 1e-6, "silu \(count)")
            Activations.siluBackward(dOut: gb.pointer, x: xb.pointer, dX: dx.pointer, count: count)
            refAssertClose(dx.array, zip(g, x).map { Double($0) * refSiluGrad(Double($1)) }, tolerance: 1e-6, "silu' \(count)")
            XCTAssertEqual(Double(Activations.silu(x[count - 1])), refSilu(Double(x[count - 1])), accuracy: 1e-6)
        }
        let x = 1.3
        XCTAssertEqual((refSilu(x + 1e-6) - refSilu(x - 1e-6)) / 2e-6, refSiluGrad(x), accuracy: 1e-8)
    }

    private func refSwiGLU(_ gu: [Double], rows: Int, hidden: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * hidden)
        for r in 0..<rows {
            for j in 0..<hidden { out[r * hidden + j] = refSilu(gu[r * 2 * hidden + j]) * gu[r * 2 * hidden + hidden + j] }
        }
        return out
    }

    func testSwiGLUForwardAndBackward() {
        var rng = RefRandom(seed: 5)
        for (rows, hidden) in [(1, 1), (1, 3), (3, 17), (5, 33), (2, 64), (64, 600)] {
            var gu = rng.floats(rows * 2 * hidden, scale: 6)
            gu[0] = -95
            let g = rng.floats(rows * hidden)
            let gub = refBuffer(gu), out = FloatBuffer(count: rows * hidden)
            Activations.swiGLUForward(gateUp: gub.pointer, out: out.pointer, rows: rows, hidden: hidden)
            let gud = refDoubles(gu), gd = refDoubles(g)
            refAssertClose(out.array, refSwiGLU(gud, rows: rows, hidden: hidden), tolerance: 1e-5, "\(rows)x\(hidden)")

            let gb = refBuffer(g), dgu = refBuffer([Float](repeating: .nan, count: rows * 2 * hidden))
            Activations.swiGLUBackward(dOut: gb.pointer, gateUp: gub.pointer, dGateUp: dgu.pointer, rows: rows, hidden: hidden)
            var expected = [Double](repeating: 0, count: rows * 2 * hidden)
            for r in 0..<rows {
                for j in 0..<hidden {
                    let gate = gud[r * 2 * hidden + j], up = gud[r * 2 * hidden + hidden + j], dy = gd[r * hidden + j]
                    expected[r * 2 * hidden + j] = dy * up * refSiluGrad(gate)
                    expected[r * 2 * hidden + hidden + j] = dy * refSilu(gate)
                }
            }
            refAssertClose(dgu.array, expected, tolerance: 1e-5, "backward \(rows)x\(hidden)")
            func loss(_ v: [Double]) -> Double { zip(refSwiGLU(v, rows: rows, hidden: hidden), gd).reduce(0) { $0 + $1.0 * $1.1 } }
            for _ in 0..<2 {
                let i = rng.int(rows * 2 * hidden)
                XCTAssertEqual(refFiniteDifference(gud, i, loss), expected[i], accuracy: 1e-5 * (1 + abs(expected[i])))
            }
        }
    }

    // MARK: RoPE

    private func refRoPE(_ x: [Double], batch: Int, seqLen: Int, heads: Int, stride: Int, headDim: Int, theta: Double,
                         offset: Int, inverse: Bool) -> [Double] {
        var y = x
        let half = headDim / 2
        for row in 0..<(batch * seqLen) {
            let pos = Double(offset + row % seqLen)
            for h in 0..<heads {
                let base = row * stride + h * headDim
                for i in 0..<half {
                    let angle = pos * Foundation.pow(theta, -2 * Double(i) / Double(headDim))
                    let c = Foundation.cos(angle), s = inverse ? -Foundation.sin(angle) : Foundation.sin(angle)
                    let a = x[base + i], b = x[base + i + half]
                    y[base + i] = a * c - b * s
                    y[base + i + half] = b * c + a * s
                }
            }
        }
        return y
    }

    func testRoPEForwardAndBackward() {
        var rng = RefRandom(seed: 6)
        for (headDim, seqLen, batch, heads, pad, offset) in [(2, 1, 1, 1, 0, 0), (6, 5, 2, 3, 5, 7), (16, 37, 3, 2, 3, 0),
                                                              (64, 37, 1, 4, 16, 90)] {
            let rope = RoPE(headDim: headDim, maxPositions: 128, theta: 10000)
            let stride = heads * headDim + pad
            let x = rng.floats(batch * seqLen * stride)
            let xb = refBuffer(x)
            rope.forward(xb.pointer, batch: batch, seqLen: seqLen, heads: heads, stride: stride, positionOffset: offset)
            let xd = refDoubles(x)
            let expected = refRoPE(xd, batch: batch, seqLen: seqLen, heads: heads, stride: stride, headDim: headDim,
                                   theta: 10000, offset: offset, inverse: false)
            refAssertClose(xb.array, expected, tolerance: 1e-5, "rope D=\(headDim)")   // padding must be untouched too

            let gb = refBuffer(x)
            rope.backward(gb.pointer, batch: batch, seqLen: seqLen, heads: heads, stride: stride, positionOffset: offset)
            let expectedGrad = refRoPE(xd, batch: batch, seqLen: seqLen, heads: heads, stride: stride, headDim: headDim,
                                       theta: 10000, offset: offset, inverse: true)
            refAssertClose(gb.array, expectedGrad, tolerance: 1e-5, "rope backward D=\(headDim)")
            // The gradient of Σ g∘rope(x) is the inverse rotation of g (here g = x).
            func loss(_ v: [Double]) -> Double {
                zip(refRoPE(v, batch: batch, seqLen: seqLen, heads: heads, stride: stride, headDim: headDim, theta: 10000,
                            offset: offset, inverse: false), xd).reduce(0) { $0 + $1.0 * $1.1 }
            }
            for _ in 0..<2 {
                let row = rng.int(batch * seqLen), i = row * stride + rng.int(heads * headDim)
                XCTAssertEqual(refFiniteDifference(xd, i, loss), expectedGrad[i], accuracy: 1e-6)
            }
        }
    }

    // MARK: Attention

    /// Packed float64 reference: q (b, t, h, d) at [((b·Tq + t)·H + h)·D + d], k/v at [((b·cap + s)·Hk + hk)·D + d].
    private func refAttention(q: [Double], k: [Double], v: [Double], batch: Int, queryLen: Int, keyLen: Int, capacity: Int,
                              qHeads: Int, kvHeads: Int, dim: Int, scale: Double) -> (out: [Double], lse: [Double]) {
        var out = [Double](repeating: 0, count: batch * queryLen * qHeads * dim)
        var lse = [Double](repeating: 0, count: batch * qHeads * queryLen)
        let group = qHeads / kvHeads
        for b in 0..<batch {
            for h in 0..<qHeads {
                for t in 0..<queryLen {
                    let qi = ((b * queryLen + t) * qHeads + h) * dim, position = keyLen - queryLen + t
                    var scores = [Double](repeating: 0, count: position + 1)
                    for s in 0...position {
                        let ki = ((b * capacity + s) * kvHeads + h / group) * dim
                        var dot = 0.0
                        for d in 0..<dim { dot += q[qi + d] * k[ki + d] }
                        scores[s] = dot * scale
                    }
                    let m = scores.max()!
                    let l = m + Foundation.log(scores.reduce(0) { $0 + Foundation.exp($1 - m) })
                    lse[(b * qHeads + h) * queryLen + t] = l
                    for s in 0...position {
                        let p = Foundation.exp(scores[s] - l), vi = ((b * capacity + s) * kvHeads + h / group) * dim
                        for d in 0..<dim { out[qi + d] += p * v[vi + d] }
                    }
                }
            }
        }
        return (out, lse)
    }

    private func refAttentionBackward(dOut: [Double], q: [Double], k: [Double], v: [Double], batch: Int, seqLen: Int,
                                      qHeads: Int, kvHeads: Int, dim: Int, scale: Double)
        -> (dQ: [Double], dK: [Double], dV: [Double]) {
        var dQ = [Double](repeating: 0, count: q.count), dK = [Double](repeating: 0, count: k.count)
        var dV = [Double](repeating: 0, count: v.count)
        let group = qHeads / kvHeads
        for b in 0..<batch {
            for h in 0..<qHeads {
                for t in 0..<seqLen {
                    let qi = ((b * seqLen + t) * qHeads + h) * dim
                    func kvIndex(_ s: Int) -> Int { ((b * seqLen + s) * kvHeads + h / group) * dim }
                    var p = (0...t).map { s in (0..<dim).reduce(0.0) { $0 + q[qi + $1] * k[kvIndex(s) + $1] } * scale }
                    let m = p.max()!
                    p = p.map { Foundation.exp($0 - m) }
                    let sum = p.reduce(0, +)
                    p = p.map { $0 / sum }
                    let dP = (0...t).map { s in (0..<dim).reduce(0.0) { $0 + dOut[qi + $1] * v[kvIndex(s) + $1] } }
                    let delta = zip(p, dP).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for s in 0...t {
                        let dS = p[s] * (dP[s] - delta)
                        for d in 0..<dim {
                            dQ[qi + d] += scale * dS * k[kvIndex(s) + d]
                            dK[kvIndex(s) + d] += scale * dS * q[qi + d]
                            dV[kvIndex(s) + d] += p[s] * dOut[qi + d]
                        }
                    }
                }
            }
        }
        return (dQ, dK, dV)
    }

    /// Columns [offset, offset + width) of `rows` rows `stride` apart, packed.
    private func gather(_ b: FloatBuffer, rows: Int, stride: Int, offset: Int, width: Int) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(rows * width)
        for r in 0..<rows { for j in 0..<width { out.append(b[r * stride + offset + j]) } }
        return out
    }

    /// Training layout: q, k, v are slices of one fused row (plus padding), as the model lays them out.
    private func checkTrainingAttention(batch: Int, seqLen: Int, qHeads: Int, kvHeads: Int, dim: Int, pad: Int, seed: UInt64,
                                        finiteDifferences: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        var rng = RefRandom(seed: seed)
        let qDim = qHeads * dim, kvDim = kvHeads * dim, stride = qDim + 2 * kvDim + pad, outStride = qDim + pad + 1
        let tokens = batch * seqLen, scale = 1 / Float(dim).squareRoot()
        let sentinel: Float = 1234.5
        let qkv = refBuffer(rng.floats(tokens * stride, scale: 1.5))
        let out = refBuffer([Float](repeating: sentinel, count: tokens * outStride))
        let lse = FloatBuffer(count: batch * qHeads * seqLen)
        Attention.forward(q: qkv.pointer, k: qkv.pointer + qDim, v: qkv.pointer + qDim + kvDim, out: out.pointer, lse: lse.pointer,
                          batch: batch, queryLen: seqLen, keyLen: seqLen, kvCapacity: seqLen, qHeads: qHeads, kvHeads: kvHeads,
                          headDim: dim, qStride: stride, kvStride: stride, outStride: outStride, scale: scale)
        let q = refDoubles(gather(qkv, rows: tokens, stride: stride, offset: 0, width: qDim))
        let k = refDoubles(gather(qkv, rows: tokens, stride: stride, offset: qDim, width: kvDim))
        let v = refDoubles(gather(qkv, rows: tokens, stride: stride, offset: qDim + kvDim, width: kvDim))
        let ref = refAttention(q: q, k: k, v: v, batch: batch, queryLen: seqLen, keyLen: seqLen, capacity: seqLen,
                               qHeads: qHeads, kvHeads: kvHeads, dim: dim, scale: Double(scale))
        let shape = "b=\(batch) T=\(seqLen) H=\(qHeads)/\(kvHeads) D=\(dim)"
        refAssertClose(gather(out, rows: tokens, stride: outStride, offset: 0, width: qDim), ref.out, tolerance: 1e-4,
                       "forward " + shape, file: file, line: line)
        refAssertClose(lse.array, ref.lse, tolerance: 1e-5, "lse " + shape, file: file, line: line)
        XCTAssertEqual(gather(out, rows: tokens, stride: outStride, offset: qDim, width: outStride - qDim),
                       [Float](repeating: sentinel, count: tokens * (outStride - qDim)), "out padding " + shape, file: file, line: line)

        let dOut = refBuffer(rng.floats(tokens * outStride))
        let dQKV = refBuffer([Float](repeating: sentinel, count: tokens * stride))
        Attention.backward(dOut: dOut.pointer, q: qkv.pointer, k: qkv.pointer + qDim, v: qkv.pointer + qDim + kvDim,
                           out: out.pointer, lse: lse.pointer, dQ: dQKV.pointer, dK: dQKV.pointer + qDim,
                           dV: dQKV.pointer + qDim + kvDim, batch: batch, seqLen: seqLen, qHeads: qHeads, kvHeads: kvHeads,
                           headDim: dim, qStride: stride, kvStride: stride, outStride: outStride, scale: scale)
        let g = refDoubles(gather(dOut, rows: tokens, stride: outStride, offset: 0, width: qDim))
        let grads = refAttentionBackward(dOut: g, q: q, k: k, v: v, batch: batch, seqLen: seqLen, qHeads: qHeads,
                                         kvHeads: kvHeads, dim: dim, scale: Double(scale))
        refAssertClose(gather(dQKV, rows: tokens, stride: stride, offset: 0, width: qDim), grads.dQ, tolerance: 1e-3,
                       "dQ " + shape, file: file, line: line)
        refAssertClose(gather(dQKV, rows: tokens, stride: stride, offset: qDim, width: kvDim), grads.dK, tolerance: 1e-3,
                       "dK " + shape, file: file, line: line)
        refAssertClose(gather(dQKV, rows: tokens, stride: stride, offset: qDim + kvDim, width: kvDim), grads.dV, tolerance: 1e-3,
                       "dV " + shape, file: file, line: line)
        XCTAssertEqual(gather(dQKV, rows: tokens, stride: stride, offset: qDim + 2 * kvDim, width: pad),
                       [Float](repeating: sentinel, count: tokens * pad), "gradient padding " + shape, file: file, line: line)

        guard finiteDifferences else { return }
        func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
            let o = refAttention(q: q, k: k, v: v, batch: batch, queryLen: seqLen, keyLen: seqLen, capacity: seqLen,
                                 qHeads: qHeads, kvHeads: kvHeads, dim: dim, scale: Double(scale)).out
            return zip(o, g).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for _ in 0..<2 {
            let i = rng.int(q.count), j = rng.int(k.count), l = rng.int(v.count)
            XCTAssertEqual(refFiniteDifference(q, i) { loss($0, k, v) }, grads.dQ[i], accuracy: 1e-6 * (1 + abs(grads.dQ[i])))
            XCTAssertEqual(refFiniteDifference(k, j) { loss(q, $0, v) }, grads.dK[j], accuracy: 1e-6 * (1 + abs(grads.dK[j])))
            XCTAssertEqual(refFiniteDifference(v, l) { loss(q, k, $0) }, grads.dV[l], accuracy: 1e-6 * (1 + abs(grads.dV[l])))
        }
    }

    func testAttentionTrainingShapes() {
        checkTrainingAttention(batch: 1, seqLen: 1, qHeads: 1, kvHeads: 1, dim: 2, pad: 1, seed: 10, finiteDifferences: true)
        checkTrainingAttention(batch: 2, seqLen: 5, qHeads: 4, kvHeads: 1, dim: 6, pad: 3, seed: 11, finiteDifferences: true)
        checkTrainingAttention(batch: 3, seqLen: 37, qHeads: 2, kvHeads: 2, dim: 16, pad: 2, seed: 12, finiteDifferences: true)
        checkTrainingAttention(batch: 1, seqLen: 130, qHeads: 3, kvHeads: 1, dim: 64, pad: 5, seed: 13)
        checkTrainingAttention(batch: 2, seqLen: 70, qHeads: 4, kvHeads: 2, dim: 33, pad: 4, seed: 14)
    }

    /// Decoding against a KV cache (queryLen < keyLen, capacity > keyLen, separate strided buffers) must give
    /// the last rows of the full causal pass.
    func testAttentionDecodeMatchesFullForward() {
        var rng = RefRandom(seed: 20)
        for (batch, keyLen, qHeads, kvHeads, dim, queryLen) in [(1, 37, 4, 1, 16, 1), (2, 130, 3, 1, 64, 3), (3, 5, 2, 2, 6, 2)] {
            let capacity = keyLen + 9, qStride = qHeads * dim + 3, kvStride = kvHeads * dim + 1, outStride = qHeads * dim
            let scale = 1 / Float(dim).squareRoot()
            let fullQ = rng.floats(batch * keyLen * qStride)
            let k = refBuffer(rng.floats(batch * capacity * kvStride)), v = refBuffer(rng.floats(batch * capacity * kvStride))
            let full = FloatBuffer(count: batch * keyLen * outStride)
            let qb = refBuffer(fullQ)
            Attention.forward(q: qb.pointer, k: k.pointer, v: v.pointer, out: full.pointer, lse: nil, batch: batch,
                              queryLen: keyLen, keyLen: keyLen, kvCapacity: capacity, qHeads: qHeads, kvHeads: kvHeads,
                              headDim: dim, qStride: qStride, kvStride: kvStride, outStride: outStride, scale: scale)
            var lastQ = [Float](), expected = [Float]()
            for b in 0..<batch {
                for t in (keyLen - queryLen)..<keyLen {
                    lastQ += fullQ[((b * keyLen + t) * qStride)..<((b * keyLen + t + 1) * qStride)]
                    expected += full.array[((b * keyLen + t) * outStride)..<((b * keyLen + t + 1) * outStride)]
                }
            }
            let decodeQ = refBuffer(lastQ), decoded = FloatBuffer(count: batch * queryLen * outStride)
            let lse = FloatBuffer(count: batch * qHeads * queryLen)
            Attention.forward(q: decodeQ.pointer, k: k.pointer, v: v.pointer, out: decoded.pointer, lse: lse.pointer,
                              batch: batch, queryLen: queryLen, keyLen: keyLen, kvCapacity: capacity, qHeads: qHeads,
                              kvHeads: kvHeads, headDim: dim, qStride: qStride, kvStride: kvStride, outStride: outStride,
                              scale: scale)
            XCTAssertEqual(refBits(decoded.array), refBits(expected), "decode T=\(keyLen) n=\(queryLen)")
            // The same keys in a cache's tiles, with junk (finite) in the columns past keyLen: the same bits.
            let block = Attention.keyBlock, tilesPerHead = (capacity + block - 1) / block
            var tiles = rng.floats(batch * kvHeads * tilesPerHead * dim * block)
            for b in 0..<batch {
                for h in 0..<kvHeads {
                    for position in 0..<keyLen {
                        for d in 0..<dim {
                            let tile = ((b * kvHeads + h) * tilesPerHead + position / block) * dim * block
                            tiles[tile + d * block + position % block] = k.array[(b * capacity + position) * kvStride + h * dim + d]
                        }
                    }
                }
            }
            let keyTiles = refBuffer(tiles), fromTiles = FloatBuffer(count: batch * queryLen * outStride)
            Attention.forward(q: decodeQ.pointer, cached: .float32(keyTiles: keyTiles.pointer, values: v.pointer), tilesPerHead: tilesPerHead,
                              out: fromTiles.pointer, lse: nil, batch: batch, queryLen: queryLen, keyLen: keyLen, kvCapacity: capacity,
                              qHeads: qHeads, kvHeads: kvHeads, headDim: dim, qStride: qStride, kvStride: kvStride,
                              outStride: outStride, scale: scale)
            XCTAssertEqual(refBits(fromTiles.array), refBits(expected), "key tiles T=\(keyLen) n=\(queryLen)")
            let ref = refAttention(q: refDoubles(gather(decodeQ, rows: batch * queryLen, stride: qStride, offset: 0, width: qHeads * dim)),
                                   k: refDoubles(gather(k, rows: batch * capacity, stride: kvStride, offset: 0, width: kvHeads * dim)),
                                   v: refDoubles(gather(v, rows: batch * capacity, stride: kvStride, offset: 0, width: kvHeads * dim)),
                                   batch: batch, queryLen: queryLen, keyLen: keyLen, capacity: capacity, qHeads: qHeads,
                                   kvHeads: kvHeads, dim: dim, scale: Double(scale))
            refAssertClose(decoded.array, ref.out, tolerance: 1e-4, "decode vs reference")
            refAssertClose(lse.array, ref.lse, tolerance: 1e-5, "decode lse")
        }
    }

    /// Keys and values kept in float16 give the very bits of float32 attention on the same values widened
    /// (widening is exact, and the operations and their order are the same): the head dims take the 16-
    /// and 32-wide paths and the scalar tail, the key counts whole and partial tiles.
    func testAttentionOnAFloat16CacheEqualsFloat32OnTheSameValues() {
        var rng = RefRandom(seed: 21)
        for (keyLen, qHeads, kvHeads, dim, queryLen) in [(37, 4, 1, 16, 1), (130, 3, 1, 64, 3), (70, 4, 4, 32, 1), (5, 2, 2, 6, 2)] {
            let capacity = keyLen + 9, qStride = qHeads * dim + 3, kvStride = kvHeads * dim + 1, outStride = qHeads * dim
            let block = Attention.keyBlock, tilesPerHead = (capacity + block - 1) / block
            let halfTiles = rng.floats(kvHeads * tilesPerHead * dim * block).map { Float16($0) }
            let halfValues = rng.floats(capacity * kvStride).map { Float16($0) }
            let q = refBuffer(rng.floats(queryLen * qStride))
            let wideTiles = refBuffer(halfTiles.map { Float($0) }), wideValues = refBuffer(halfValues.map { Float($0) })
            func attend(_ cached: Attention.CachedKeysValues) -> [Float] {
                let out = FloatBuffer(count: queryLen * outStride)
                Attention.forward(q: q.pointer, cached: cached, tilesPerHead: tilesPerHead, out: out.pointer, lse: nil, batch: 1,
                                  queryLen: queryLen, keyLen: keyLen, kvCapacity: capacity, qHeads: qHeads, kvHeads: kvHeads,
                                  headDim: dim, qStride: qStride, kvStride: kvStride, outStride: outStride, scale: 1 / Float(dim).squareRoot())
                return out.array
            }
            let wide = attend(.float32(keyTiles: wideTiles.pointer, values: wideValues.pointer))
            let narrow = halfTiles.withUnsafeBufferPointer { tiles in
                halfValues.withUnsafeBufferPointer { values in attend(.float16(keyTiles: tiles.baseAddress!, values: values.baseAddress!)) }
            }
            XCTAssertEqual(refBits(narrow), refBits(wide), "T=\(keyLen) n=\(queryLen) dim=\(dim)")
        }
    }

    /// Floats go to float16 rounded to nearest, the vector part as the scalar tail, and values past the
    /// float16 range become ±65504, not infinities.
    func testHalfConversionRoundsToNearestAndClamps() {
        var rng = RefRandom(seed: 22)
        var source = rng.floats(37).map { $0 * 3 }
        source[2] = 1e6; source[5] = -70000; source[20] = 65504; source[33] = 1e9; source[36] = -1e-9
        var target = [Float16](repeating: 0, count: source.count)
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { HalfConversion.store(s.baseAddress!, $0.baseAddress!, count: s.count) }
        }
        for (x, h) in zip(source, target) {
            XCTAssertEqual(h.bitPattern, Float16(min(max(x, -65504), 65504)).bitPattern, "\(x)")
            XCTAssertTrue(h.isFinite)
        }
        XCTAssertEqual(target[2], 65504)
        XCTAssertEqual(target[5], -65504)
    }

    func testAttentionIsDeterministic() {
        var rng = RefRandom(seed: 30)
        let batch = 2, seqLen = 100, qHeads = 4, kvHeads = 2, dim = 32
        let stride = (qHeads + 2 * kvHeads) * dim, qDim = qHeads * dim, kvDim = kvHeads * dim, tokens = batch * seqLen
        let qkv = refBuffer(rng.floats(tokens * stride)), dOut = refBuffer(rng.floats(tokens * qDim))
        func run() -> [UInt32] {
            let out = FloatBuffer(count: tokens * qDim), lse = FloatBuffer(count: batch * qHeads * seqLen)
            let d = FloatBuffer(count: tokens * stride)
            Attention.forward(q: qkv.pointer, k: qkv.pointer + qDim, v: qkv.pointer + qDim + kvDim, out: out.pointer,
                              lse: lse.pointer, batch: batch, queryLen: seqLen, keyLen: seqLen, kvCapacity: seqLen,
                              qHeads: qHeads, kvHeads: kvHeads, headDim: dim, qStride: stride, kvStride: stride,
                              outStride: qDim, scale: 0.2)
            Attention.backward(dOut: dOut.pointer, q: qkv.pointer, k: qkv.pointer + qDim, v: qkv.pointer + qDim + kvDim,
                               out: out.pointer, lse: lse.pointer, dQ: d.pointer, dK: d.pointer + qDim,
                               dV: d.pointer + qDim + kvDim, batch: batch, seqLen: seqLen, qHeads: qHeads, kvHeads: kvHeads,
                               headDim: dim, qStride: stride, kvStride: stride, outStride: qDim, scale: 0.2)
            return refBits(out.array + lse.array + d.array)
        }
        XCTAssertEqual(run(), run())
    }

    // MARK: Cross-entropy

    func testCrossEntropyForwardBackward() {
        var rng = RefRandom(seed: 40)
        for (rows, vocab) in [(1, 1), (1, 3), (3, 17), (5, 33), (40, 1000)] {
            let logits = rng.floats(rows * vocab, scale: 8)
            var targets = (0..<rows).map { _ in Int32(rng.int(vocab)) }
            if rows > 2 { targets[1] = -1; targets[rows - 1] = -100 }
            let gradScale: Float = 0.37
            let buffer = refBuffer(logits)
            let lossOnly = targets.withUnsafeBufferPointer {
                CrossEntropy.loss(logits: buffer.pointer, targets: $0.baseAddress!, rows: rows, vocab: vocab)
            }
            XCTAssertEqual(buffer.array, logits, "loss() must not touch the logits")
            let result = targets.withUnsafeBufferPointer {
                CrossEntropy.forwardBackward(logits: buffer.pointer, targets: $0.baseAddress!, rows: rows, vocab: vocab,
                                             gradScale: gradScale)
            }
            let x = refDoubles(logits)
            func rowLoss(_ x: [Double], _ r: Int) -> Double {
                let row = x[(r * vocab)..<((r + 1) * vocab)], m = row.max()!
                return m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) }) - x[r * vocab + Int(targets[r])]
            }
            func totalLoss(_ x: [Double]) -> Double { (0..<rows).filter { targets[$0] >= 0 }.reduce(0) { $0 + rowLoss(x, $1) } }
            var expectedGrad = [Double](repeating: 0, count: rows * vocab)
            for r in 0..<rows where targets[r] >= 0 {
                let row = x[(r * vocab)..<((r + 1) * vocab)], m = row.max()!
                let sum = row.reduce(0) { $0 + Foundation.exp($1 - m) }
                for j in 0..<vocab {
                    let p = Foundation.exp(x[r * vocab + j] - m) / sum
                    expectedGrad[r * vocab + j] = Double(gradScale) * (p - (j == Int(targets[r]) ? 1 : 0))
                }
            }
            let expectedLoss = totalLoss(x), counted = targets.filter { $0 >= 0 }.count
            XCTAssertEqual(result.count, counted)
            XCTAssertEqual(lossOnly.count, counted)
            XCTAssertEqual(result.lossSum, expectedLoss, accuracy: 1e-5 * (1 + abs(expectedLoss)))
            XCTAssertEqual(lossOnly.lossSum, expectedLoss, accuracy: 1e-5 * (1 + abs(expectedLoss)))
            refAssertClose(buffer.array, expectedGrad, tolerance: 1e-6, "gradient \(rows)x\(vocab)")
            for r in 0..<rows where targets[r] < 0 {
                XCTAssertEqual(Array(buffer.array[(r * vocab)..<((r + 1) * vocab)]), [Float](repeating: 0, count: vocab))
            }
            for _ in 0..<2 {
                let i = rng.int(rows * vocab)
                XCTAssertEqual(Double(gradScale) * refFiniteDifference(x, i, totalLoss), expectedGrad[i], accuracy: 1e-6)
            }
        }
    }

    func testCrossEntropyIsDeterministic() {
        var rng = RefRandom(seed: 41)
        let rows = 64, vocab = 3001
        let logits = rng.floats(rows * vocab, scale: 5), targets = (0..<rows).map { _ in Int32(rng.int(vocab)) }
        func run() -> (Double, [UInt32]) {
            let b = refBuffer(logits)
            let r = targets.withUnsafeBufferPointer {
                CrossEntropy.forwardBackward(logits: b.pointer, targets: $0.baseAddress!, rows: rows, vocab: vocab, gradScale: 1)
            }
            return (r.lossSum, refBits(b.array))
        }
        let a = run(), b = run()
        XCTAssertEqual(a.0.bitPattern, b.0.bitPattern)
        XCTAssertEqual(a.1, b.1)
    }
}
