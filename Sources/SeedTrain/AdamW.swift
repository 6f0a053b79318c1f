import Foundation
import SeedModel
import SeedTensor

/// AdamW with decoupled weight decay (Loshchilov & Hutter): the decay shrinks the weights directly,
/// `p ← p − lr·wd·p`, instead of being added to the gradient where Adam's scaling would distort it.
/// Only matrices decay; norm gains do not. Moments are kept in float32 like the parameters.
public final class AdamW {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    public let moment1: FloatBuffer
    public let moment2: FloatBuffer
    /// The parameters cut into pieces of at most `pieceSize` that never straddle two tensors (so each piece
    /// decays or not as a whole): (start, end, decays). One parallel pass covers them all, so that small
    /// models, whose tensors are each smaller than a piece, still use every core.
    private let pieces: [(Int, Int, Bool)]
    private static let pieceSize = 1 << 14

    public init(layout: ParameterLayout, weightDecay: Float) {
        self.weightDecay = weightDecay
        moment1 = FloatBuffer(count: layout.count)
        moment2 = FloatBuffer(count: layout.count)
        pieces = layout.tensors.flatMap { t in
            stride(from: t.offset, to: t.offset + t.count, by: Self.pieceSize).map { ($0, min($0 + Self.pieceSize, t.offset + t.count), t.decays) }
        }
    }

    /// One update with learning rate `lr` at 1-based step `t` (for the bias corrections).
    public func step(parameters: FloatBuffer, gradients: FloatBuffer, lr: Float, t: Int, pool: ThreadPool = .shared) {
        let c1 = Float(1 / (1 - pow(Double(beta1), Double(t))))
        let c2 = Float(1 / (1 - pow(Double(beta2), Double(t))))
        let shrink = 1 - lr * weightDecay
        pool.parallelFor(pieces.count) { i in
            let (start, end, decays) = pieces[i]
            update(start..<end, p: parameters.pointer, g: gradients.pointer, lr: lr, shrink: decays ? shrink : 1, c1: c1, c2: c2)
        }
    }

    private func update(_ range: Range<Int>, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                        lr: Float, shrink: Float, c1: Float, c2: Float) {
        typealias V = SIMD16<Float>
        let m = moment1.pointer, v = moment2.pointer
        let b1 = beta1, b2 = beta2, eps = epsilon
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            let gv = load(g + i)
            let mv = b1 * load(m + i) + (1 - b1) * gv
            let vv = b2 * load(v + i) + (1 - b2) * gv * gv
            let pv = load(p + i) * shrink - lr * (mv * c1) / ((vv * c2).squareRoot() + eps)
            store(mv, m + i); store(vv, v + i); store(pv, p + i)
            i += 16
        }
        while i < range.upperBound {
            let gi = g[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            p[i] = p[i] * shrink - lr * (m[i] * c1) / ((v[i] * c2).squareRoot() + eps)
            i += 1
        }
    }
}

@inline(__always) private func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) private func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
