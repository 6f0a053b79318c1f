/// Root-mean-square normalisation as in Hugging Face Llama: out = x · rsqrt(mean(x²) + eps) · weight.
public enum RMSNorm {
    /// `rstd` (one per row) is what backward needs; pass nil at inference to skip saving it.
    public static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>?, rows: Int, dim: Int, eps: Float,
                               pool: ThreadPool = .shared) {
        let p = VectorMath.pool(pool, work: rows * dim)
        p.parallelRanges(rows, minimum: Swift.max(1, 4096 / Swift.max(1, dim))) { range in
            for r in range {
                let xr = x + r * dim, o = out + r * dim
                let s = 1 / (sumOfSquares(xr, dim) / Float(dim) + eps).squareRoot()
                rstd?[r] = s
                let sv = SIMD16<Float>(repeating: s)
                var j = 0
                while j + 16 <= dim {
                    VectorMath.store(VectorMath.load(xr + j) * sv * VectorMath.load(weight + j), o + j)
                    j += 16
                }
                while j < dim { o[j] = xr[j] * s * weight[j]; j += 1 }
            }
        }
    }

    /// Adds the input gradient into `dX` (it is the residual stream's running gradient) and the weight
    /// gradient into `dWeight` (gradients accumulate over micro-batches).
    ///
    /// With y = x·r·w and r = rsqrt(mean(x²)+eps): dx = r·(w∘g) − x · r³/dim · Σ(w∘g∘x).
    /// dWeight sums over rows, so rows are cut into a fixed number of chunks (a function of `rows` only),
    /// each chunk's partial sum is formed serially, and the partials are added in chunk order: the bits do
    /// not depend on scheduling or on the number of threads.
    public static func backward(dOut: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                                dWeight: UnsafeMutablePointer<Float>, rows: Int, dim: Int, pool: ThreadPool = .shared) {
        if rows <= 0 || dim <= 0 { return }
        let chunks = Swift.min(rows, 32)
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * dim)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: chunks * dim)
        let p = VectorMath.pool(pool, work: rows * dim)
        p.parallelFor(chunks) { c in
            let dw = partials + c * dim
            for r in (rows * c / chunks)..<(rows * (c + 1) / chunks) {
                let xr = x + r * dim, g = dOut + r * dim, dx = dX + r * dim
                let s = rstd[r]
                // Σ w·g·x for this row.
                var acc = SIMD16<Float>()
                var j = 0
                while j + 16 <= dim {
                    acc = acc.addingProduct(VectorMath.load(weight + j) * VectorMath.load(g + j), VectorMath.load(xr + j))
                    j += 16
                }
                var wgx = acc.sum()
                while j < dim { wgx += weight[j] * g[j] * xr[j]; j += 1 }
                let k = s * s * s * wgx / Float(dim)
                let sv = SIMD16<Float>(repeating: s), kv = SIMD16<Float>(repeating: k)
                j = 0
                while j + 16 <= dim {
                    let gj = VectorMath.load(g + j), xj = VectorMath.load(xr + j)
                    let grad = sv * VectorMath.load(weight + j) * gj - kv * xj
                    VectorMath.store(VectorMath.load(dx + j) + grad, dx + j)
                    VectorMath.store(VectorMath.load(dw + j).addingProduct(gj, xj * sv), dw + j)
                    j += 16
                }
                while j < dim {
                    dx[j] += s * weight[j] * g[j] - k * xr[j]
                    dw[j] += g[j] * (xr[j] * s)
                    j += 1
                }
            }
        }
        for j in 0..<dim {
            var total: Float = 0
            for c in 0..<chunks { total += partials[c * dim + j] }
            dWeight[j] += total
        }
    }

    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var j = 0
        while j + 16 <= n { let v = VectorMath.load(x + j); acc = acc.addingProduct(v, v); j += 16 }
        var s = acc.sum()
        while j < n { s += x[j] * x[j]; j += 1 }
        return s
    }
}
