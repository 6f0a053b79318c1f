/// Single-precision matrix products in the three forms that training needs:
/// `C (+)= A·B` (forward through an activation), `C (+)= A·Bᵀ` (forward through a `[out, in]` weight) and
/// `C (+)= Aᵀ·B` (weight gradients). All three go through one blocked algorithm: op(B) is packed once per
/// K-block into column panels shared by all threads; each thread packs its own block of op(A) into row
/// panels and runs the register-tiled micro-kernel over them (8×32 with AVX-512, 6×16 otherwise). Packing reads the source with whatever
/// strides the transposition implies, so the micro-kernel only ever sees contiguous, aligned panels.
public enum Gemm {
    /// C[m×n] = op(A)[m×k] · op(B)[k×n], or C += … when `accumulate` is set.
    /// op(A)[i, p] is `a[i*lda + p]`, or `a[p*lda + i]` when `transA`; op(B)[p, j] is `b[p*ldb + j]`, or
    /// `b[j*ldb + p]` when `transB`. C is row-major with leading dimension `ldc`.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false,
        pool: ThreadPool = .shared
    ) {
        multiply(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc,
                 accumulate: accumulate, pool: pool, kernel: MicroKernel.native)
    }

    /// `multiply` with the micro-kernel named, so that tests cover both shapes on any machine.
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, pool: ThreadPool, kernel: MicroKernel.Shape
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        let operands = GemmOperands(a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc)
        if m <= 4 && transB && !transA && k >= 16 {
            DotGemm.multiply(m: m, n: n, k: k, operands, accumulate: accumulate, pool: pool)
        } else if m * n * k < smallProductLimit {
            PortableGemm.multiply(m: m, n: n, k: k, operands, accumulate: accumulate)
        } else {
            BlockedGemm(m: m, n: n, k: k, operands: operands, pool: pool, kernel: kernel).run(accumulate: accumulate)
        }
    }

    /// C (+)= A·B with A [m×k], B [k×n], all row-major and packed.
    public static func matmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool = .shared) {
        multiply(m: m, n: n, k: k, a: a, lda: k, transA: false, b: b, ldb: n, transB: false, c: c, ldc: n,
                 accumulate: accumulate, pool: pool)
    }

    /// C (+)= A·Bᵀ with A [m×k] and B [n×k]: a linear layer `x · Wᵀ` with W stored `[out, in]`.
    public static func matmulTransposedB(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                         m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool = .shared) {
        multiply(m: m, n: n, k: k, a: a, lda: k, transA: false, b: b, ldb: k, transB: true, c: c, ldc: n,
                 accumulate: accumulate, pool: pool)
    }

    /// C (+)= Aᵀ·B with A [k×m] and B [k×n]: the weight gradient `dYᵀ · X` summed over tokens.
    public static func matmulTransposedA(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                         m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool = .shared) {
        multiply(m: m, n: n, k: k, a: a, lda: m, transA: true, b: b, ldb: n, transB: false, c: c, ldc: n,
                 accumulate: accumulate, pool: pool)
    }

    /// Below this many multiply-adds, packing and dispatch cost more than they save.
    static let smallProductLimit = 32 * 32 * 32
}

struct GemmOperands {
    let a: UnsafePointer<Float>, lda: Int, transA: Bool
    let b: UnsafePointer<Float>, ldb: Int, transB: Bool
    let c: UnsafeMutablePointer<Float>, ldc: Int

    @inline(__always) func aValue(_ i: Int, _ p: Int) -> Float { transA ? a[p * lda + i] : a[i * lda + p] }
}

/// Straightforward loops for tiny products, and the reference point that any CPU can run.
enum PortableGemm {
    static func multiply(m: Int, n: Int, k: Int, _ o: GemmOperands, accumulate: Bool) {
        for i in 0..<m {
            let row = o.c + i * o.ldc
            if !accumulate { row.update(repeating: 0, count: n) }
            for p in 0..<k {
                let aip = o.aValue(i, p)
                if o.transB {
                    for j in 0..<n { row[j] += aip * o.b[j * o.ldb + p] }
                } else {
                    let bRow = o.b + p * o.ldb
                    for j in 0..<n { row[j] += aip * bRow[j] }
                }
            }
        }
    }
}
