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

/// The arithmetic limit of this machine for float32: fused multiply-adds on registers only, on every thread
/// of the pool, with as many independent 16-lane chains as hide the FMA latency and still fit the registers:
/// twelve with AVX-512's 32 zmm, six (twelve ymm) with AVX2's 16, where twelve would spill.
public enum FMAPeak {
    public static func measure(seconds: Double = 0.3, pool: ThreadPool = .shared) -> Double {
        let iterations = 4_000_000
        let wide = MicroKernel.native == .wide
        var best = Double.infinity
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            pool.parallelFor(pool.threadCount) { _ in if wide { twelveChains(iterations) } else { sixChains(iterations) } }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
        return Double(pool.threadCount) * Double(iterations) * Double(wide ? 12 : 6) * 32 / best / 1e9
    }

    typealias V = SIMD16<Float>

    @inline(never)
    static func twelveChains(_ iterations: Int) {
        let x = V(repeating: 0.999_9), y = V(repeating: 1e-7)
        var a = (V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V())
        for _ in 0..<iterations {
            a.0 = a.0.addingProduct(x, y); a.1 = a.1.addingProduct(x, y); a.2 = a.2.addingProduct(x, y)
            a.3 = a.3.addingProduct(x, y); a.4 = a.4.addingProduct(x, y); a.5 = a.5.addingProduct(x, y)
            a.6 = a.6.addingProduct(x, y); a.7 = a.7.addingProduct(x, y); a.8 = a.8.addingProduct(x, y)
            a.9 = a.9.addingProduct(x, y); a.10 = a.10.addingProduct(x, y); a.11 = a.11.addingProduct(x, y)
        }
        keep((a.0 + a.1 + a.2 + a.3 + a.4 + a.5) + (a.6 + a.7 + a.8 + a.9 + a.10 + a.11))
    }

    @inline(never)
    static func sixChains(_ iterations: Int) {
        let x = V(repeating: 0.999_9), y = V(repeating: 1e-7)
        var a = (V(), V(), V(), V(), V(), V())
        for _ in 0..<iterations {
            a.0 = a.0.addingProduct(x, y); a.1 = a.1.addingProduct(x, y); a.2 = a.2.addingProduct(x, y)
            a.3 = a.3.addingProduct(x, y); a.4 = a.4.addingProduct(x, y); a.5 = a.5.addingProduct(x, y)
        }
        keep(a.0 + a.1 + a.2 + a.3 + a.4 + a.5)
    }

    /// Keeps the loop from being optimised away.
    private static func keep(_ total: V) {
        if total.sum() == 42 { print("") }
    }
}
