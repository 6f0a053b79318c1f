import Foundation

/// A matrix-product shape as benchmarks name it: `C[m×n] = op(A)·op(B)` with inner dimension `k`.
public struct GemmShape: Sendable, Codable, Equatable {
    public var name: String
    public var m: Int, n: Int, k: Int
    public var transA: Bool, transB: Bool

    public init(name: String, m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
        self.name = name; self.m = m; self.n = n; self.k = k; self.transA = transA; self.transB = transB
    }

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

public enum GemmBenchmark {
    /// Best GFLOP/s over repetitions lasting at least `seconds` in all, after one warm-up call.
    public static func measure(_ shape: GemmShape, seconds: Double = 0.5, pool: ThreadPool = .shared) -> Double {
        let lda = shape.transA ? shape.m : shape.k, ldb = shape.transB ? shape.k : shape.n
        let a = UnsafeMutablePointer<Float>.allocate(capacity: shape.m * shape.k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: shape.k * shape.n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: shape.m * shape.n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(shape.m * shape.k) { a[i] = Float(i % 17) * 0.01 - 0.08 }
        for i in 0..<(shape.k * shape.n) { b[i] = Float(i % 13) * 0.01 - 0.06 }
        c.initialize(repeating: 0, count: shape.m * shape.n)
        func once() {
            Gemm.multiply(m: shape.m, n: shape.n, k: shape.k, a: a, lda: lda, transA: shape.transA,
                          b: b, ldb: ldb, transB: shape.transB, c: c, ldc: shape.n, pool: pool)
        }
        once()
        var best = Double.infinity
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            once()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
        return shape.flops / best / 1e9
    }
}
