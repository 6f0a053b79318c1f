import Foundation

/// Small SIMD helpers shared by the row kernels (softmax, cross-entropy, attention, activations).
///
/// `exp` is the one that matters: libm's `expf` is a scalar call per element, which dominates SwiGLU on
/// 4096×3072 activations. This range reduction plus a degree-6 polynomial is within a few ulp (~3e-7
/// relative) and runs 16 lanes per call. Inputs below about -87.3 return exactly 0 (the true value is
/// subnormal), which is what masking by -infinity relies on.
@usableFromInline
enum VectorMath {
    @usableFromInline static let serialThreshold = 32_768

    /// The pool to use for `work` elements: the caller's pool, or the calling thread alone when the work
    /// is too small to pay for waking the others.
    @inlinable @inline(__always)
    static func pool(_ pool: ThreadPool, work: Int) -> ThreadPool {
        work < serialThreshold ? ThreadPool.inline : pool
    }

    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inlinable @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Loads `count` (< 16) floats, the other lanes set to `fill`, so tails go through the same arithmetic.
    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>, count: Int, fill: Float) -> SIMD16<Float> {
        var v = SIMD16<Float>(repeating: fill)
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    @inlinable @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = v[i] }
    }

    @inlinable @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let lowest: Float = -87.33, highest: Float = 88.3
        let c = pointwiseMax(pointwiseMin(x, SIMD16(repeating: highest)), SIMD16(repeating: lowest))
        // Adding 1.5·2^23 rounds to an integer n and leaves n in the low mantissa bits.
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let t = magic.addingProduct(c, SIMD16(repeating: 1.442_695_04))
        let n = t - magic
        var r = c.addingProduct(n, SIMD16(repeating: -0.693_145_751_953_125))
        r = r.addingProduct(n, SIMD16(repeating: -1.428_606_765_330_187e-6))
        var p = SIMD16<Float>(repeating: 1.0 / 720)
        p = SIMD16(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD16(repeating: 0.5).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self)
        let scale = unsafeBitCast((bits &- (0x4B40_0000 - 127)) &<< 23, to: SIMD16<Float>.self)
        // Zero the lanes below `lowest` with integer ops: a SIMD comparison would build its mask lane by lane.
        // (lowest − x) has its sign bit clear exactly there, so shifting it across the lane gives the mask.
        let keep = unsafeBitCast(SIMD16(repeating: lowest) - x, to: SIMD16<Int32>.self) &>> 31
        return unsafeBitCast(unsafeBitCast(p * scale, to: SIMD16<Int32>.self) & keep, to: SIMD16<Float>.self)
    }

    /// x[i] ← exp(x[i] − shift) in place for `count` values; returns their sum. The shared core of
    /// softmax, cross-entropy and attention's probabilities.
    @inline(__always)
    static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, minus shift: Float) -> Float {
        let m = SIMD16<Float>(repeating: shift)
        var sum = SIMD16<Float>()
        var j = 0
        while j + 16 <= count {
            let e = exp(load(x + j) - m)
            store(e, x + j)
            sum += e
            j += 16
        }
        if j < count {
            let e = exp(load(x + j, count: count - j, fill: -.infinity) - m)
            store(e, x + j, count: count - j)
            sum += e
        }
        return sum.sum()
    }

    /// max over `count` floats; -infinity for an empty range.
    @inlinable
    static func max(_ p: UnsafePointer<Float>, count: Int) -> Float {
        // Compare-and-blend instead of `pointwiseMax`, whose NaN rules the compiler lowers lane by lane.
        var m = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = load(p + i)
            m = m.replacing(with: v, where: v .> m)
            i += 16
        }
        var m8 = m.lowHalf
        m8 = m8.replacing(with: m.highHalf, where: m.highHalf .> m8)
        var m4 = m8.lowHalf
        m4 = m4.replacing(with: m8.highHalf, where: m8.highHalf .> m4)
        var result = Swift.max(Swift.max(m4[0], m4[1]), Swift.max(m4[2], m4[3]))
        while i < count { result = Swift.max(result, p[i]); i += 1 }
        return result
    }

    @inlinable @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count { acc = acc.addingProduct(load(a + i), load(b + i)); i += 16 }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y += alpha · x over `count` floats.
    @inlinable @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= count { store(load(y + i).addingProduct(a, load(x + i)), y + i); i += 16 }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }
}

/// Elementwise activations of the Llama MLP. The vector paths use `VectorMath.exp`, so they agree with the
/// scalar `silu` to a few ulp rather than bit for bit.
public enum Activations {
    /// SiLU (swish): x·sigmoid(x).
    @inlinable
    public static func silu(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }

    /// Sigmoid of 16 lanes; for very negative x, exp(-x) saturates so the result goes to 0 without NaN.
    @inlinable @inline(__always)
    static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> { 1 / (1 + VectorMath.exp(-x)) }

    /// Runs `body` on 16-lane chunks of 0..<count (the last chunk shorter), split across the pool.
    @inlinable @inline(__always)
    static func chunks(_ count: Int, pool: ThreadPool, _ body: (Int, Int) -> Void) {
        let p = VectorMath.pool(pool, work: count)
        let blocks = (count + 15) / 16
        p.parallelRanges(blocks, minimum: 1024) { range in
            for b in range { body(b * 16, Swift.min(16, count - b * 16)) }
        }
    }

    public static func siluForward(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int,
                                   pool: ThreadPool = .shared) {
        chunks(count, pool: pool) { i, n in
            if n == 16 {
                let v = VectorMath.load(x + i)
                VectorMath.store(v * sigmoid(v), out + i)
            } else {
                let v = VectorMath.load(x + i, count: n, fill: 0)
                VectorMath.store(v * sigmoid(v), out + i, count: n)
            }
        }
    }

    /// dX = dOut · silu'(x), with silu'(x) = s·(1 + x·(1 − s)), s = sigmoid(x). Overwrites dX.
    public static func siluBackward(dOut: UnsafePointer<Float>, x: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                                    count: Int, pool: ThreadPool = .shared) {
        chunks(count, pool: pool) { i, n in
            let full = n == 16
            let v = full ? VectorMath.load(x + i) : VectorMath.load(x + i, count: n, fill: 0)
            let g = full ? VectorMath.load(dOut + i) : VectorMath.load(dOut + i, count: n, fill: 0)
            let s = sigmoid(v)
            let d = g * s * (1 + v * (1 - s))
            if full { VectorMath.store(d, dX + i) } else { VectorMath.store(d, dX + i, count: n) }
        }
    }

    /// out = silu(gate) · up, where each row of `gateUp` is [gate (hidden) | up (hidden)]: one fused GEMM
    /// produces both halves, so the MLP needs one matmul instead of two.
    public static func swiGLUForward(gateUp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, hidden: Int,
                                     pool: ThreadPool = .shared) {
        let p = VectorMath.pool(pool, work: rows * hidden)
        p.parallelRanges(rows, minimum: Swift.max(1, 8192 / Swift.max(1, hidden))) { range in
            for r in range {
                let gate = gateUp + r * 2 * hidden, up = gate + hidden, o = out + r * hidden
                var j = 0
                while j + 16 <= hidden {
                    let g = VectorMath.load(gate + j)
                    VectorMath.store(g * sigmoid(g) * VectorMath.load(up + j), o + j)
                    j += 16
                }
                if j < hidden {
                    let n = hidden - j
                    let g = VectorMath.load(gate + j, count: n, fill: 0)
                    VectorMath.store(g * sigmoid(g) * VectorMath.load(up + j, count: n, fill: 0), o + j, count: n)
                }
            }
        }
    }

    /// dGate = dOut · up · silu'(gate), dUp = dOut · silu(gate), written in `gateUp`'s fused layout
    /// (overwritten) so the backward GEMM through the fused weight is again a single call.
    public static func swiGLUBackward(dOut: UnsafePointer<Float>, gateUp: UnsafePointer<Float>,
                                      dGateUp: UnsafeMutablePointer<Float>, rows: Int, hidden: Int,
                                      pool: ThreadPool = .shared) {
        let p = VectorMath.pool(pool, work: rows * hidden)
        p.parallelRanges(rows, minimum: Swift.max(1, 8192 / Swift.max(1, hidden))) { range in
            for r in range {
                let gate = gateUp + r * 2 * hidden, up = gate + hidden, d = dOut + r * hidden
                let dGate = dGateUp + r * 2 * hidden, dUp = dGate + hidden
                var j = 0
                while j < hidden {
                    let n = Swift.min(16, hidden - j), full = n == 16
                    let g = full ? VectorMath.load(gate + j) : VectorMath.load(gate + j, count: n, fill: 0)
                    let u = full ? VectorMath.load(up + j) : VectorMath.load(up + j, count: n, fill: 0)
                    let dy = full ? VectorMath.load(d + j) : VectorMath.load(d + j, count: n, fill: 0)
                    let s = sigmoid(g)
                    let dg = dy * u * s * (1 + g * (1 - s))
                    let du = dy * g * s
                    if full {
                        VectorMath.store(dg, dGate + j); VectorMath.store(du, dUp + j)
                    } else {
                        VectorMath.store(dg, dGate + j, count: n); VectorMath.store(du, dUp + j, count: n)
                    }
                    j += 16
                }
            }
        }
    }
}
