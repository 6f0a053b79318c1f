import SeedTensor

/// Reductions over the whole gradient, in a fixed order: a fixed number of chunks summed in float64 and
/// combined serially, so that the norm (and so clipping) is the same bits on every run.
enum GradientMath {
    static let chunks = 64

    static func norm(_ g: FloatBuffer, pool: ThreadPool = .shared) -> Double {
        var partial = [Double](repeating: 0, count: chunks)
        let count = g.count, p = g.pointer
        partial.withUnsafeMutableBufferPointer { out in
            let sums = out.baseAddress!
            pool.parallelFor(chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                var acc = SIMD16<Double>()
                var i = lo
                while i + 16 <= hi {
                    let v = SIMD16<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self))
                    acc.addProduct(v, v)
                    i += 16
                }
                var sum = acc.sum()
                while i < hi { sum += Double(p[i]) * Double(p[i]); i += 1 }
                sums[c] = sum
            }
        }
        return partial.reduce(0, +).squareRoot()
    }

    static func scale(_ g: FloatBuffer, by factor: Float, pool: ThreadPool = .shared) {
        let count = g.count, p = g.pointer
        pool.parallelFor(chunks) { c in
            for i in (count * c / chunks)..<(count * (c + 1) / chunks) { p[i] *= factor }
        }
    }
}
