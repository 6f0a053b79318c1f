import Foundation

/// Rotary position embedding in Hugging Face Llama's "rotate_half" layout: dimension i is paired with
/// i + headDim/2 (not with its neighbour), so checkpoints converted from Hugging Face work unchanged.
///
/// The cos/sin tables are computed once in Double and stored as Float: computing angles like 4095·θ^(-2i/D)
/// in Float would lose several digits at long positions.
public struct RoPE: Sendable {
    public let headDim: Int
    public let maxPositions: Int
    public let theta: Float
    /// cos and sin of position·θ^(-2i/headDim), laid out [position][i] for i in 0..<headDim/2.
    private let cosTable: [Float]
    private let sinTable: [Float]

    public init(headDim: Int, maxPositions: Int, theta: Float) {
        self.headDim = headDim
        self.maxPositions = maxPositions
        self.theta = theta
        let half = headDim / 2
        var c = [Float](repeating: 0, count: maxPositions * half)
        var s = [Float](repeating: 0, count: maxPositions * half)
        for i in 0..<half {
            let frequency = Foundation.pow(Double(theta), -2 * Double(i) / Double(headDim))
            for p in 0..<maxPositions {
                let angle = Double(p) * frequency
                c[p * half + i] = Float(Foundation.cos(angle))
                s[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates every head of every token in place. Element (b, t, h, d) is at
    /// x[(b·seqLen + t)·stride + h·headDim + d]; token t sits at position positionOffset + t, which must be
    /// below `maxPositions` (not checked: the caller sized the tables from the model's context).
    public func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, seqLen: Int, heads: Int, stride: Int,
                        positionOffset: Int = 0, pool: ThreadPool = .shared) {
        rotate(x, batch: batch, seqLen: seqLen, heads: heads, stride: stride, positionOffset: positionOffset,
               sinSign: 1, pool: pool)
    }

    /// The gradient of `forward`: a rotation's transpose is the rotation by the opposite angle.
    public func backward(_ grad: UnsafeMutablePointer<Float>, batch: Int, seqLen: Int, heads: Int, stride: Int,
                         positionOffset: Int = 0, pool: ThreadPool = .shared) {
        rotate(grad, batch: batch, seqLen: seqLen, heads: heads, stride: stride, positionOffset: positionOffset,
               sinSign: -1, pool: pool)
    }

    private func rotate(_ x: UnsafeMutablePointer<Float>, batch: Int, seqLen: Int, heads: Int, stride: Int,
                        positionOffset: Int, sinSign: Float, pool: ThreadPool) {
        let half = headDim / 2, headDim = headDim
        let tokens = batch * seqLen
        if half == 0 || tokens == 0 { return }
        let p = VectorMath.pool(pool, work: tokens * heads * headDim)
        cosTable.withUnsafeBufferPointer { cosBuffer in
            sinTable.withUnsafeBufferPointer { sinBuffer in
                let cosBase = cosBuffer.baseAddress!, sinBase = sinBuffer.baseAddress!
                p.parallelRanges(tokens, minimum: Swift.max(1, 4096 / Swift.max(1, heads * headDim))) { range in
                    for row in range {
                        let position = positionOffset + row % seqLen
                        let cosRow = cosBase + position * half, sinRow = sinBase + position * half
                        for h in 0..<heads {
                            let lo = x + row * stride + h * headDim, hi = lo + half
                            for i in 0..<half {
                                let c = cosRow[i], s = sinSign * sinRow[i]
                                let a = lo[i], b = hi[i]
                                lo[i] = a * c - b * s
                                hi[i] = b * c + a * s
                            }
                        }
                    }
                }
            }
        }
    }
}
