/// `C (+)= A·Bᵀ` for a handful of rows of A, the shape of decoding one token at a time: every output is a dot
/// product of two contiguous rows, so reading each weight row once beats packing the whole weight matrix.
enum DotGemm {
    typealias V = SIMD16<Float>

    static func multiply(m: Int, n: Int, k: Int, _ o: GemmOperands, accumulate: Bool, pool: ThreadPool) {
        let work = Double(m) * Double(n) * Double(k)
        let runner = work >= 1_000_000 ? pool : ThreadPool.inline
        runner.parallelRanges(n, minimum: 64) { columns in
            for j in columns {
                let w = o.b + j * o.ldb
                for i in 0..<m {
                    let value = dot(o.a + i * o.lda, w, k)
                    let target = o.c + i * o.ldc + j
                    target.pointee = accumulate ? target.pointee + value : value
                }
            }
        }
    }

    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        var p = 0
        while p + 64 <= count {
            let o = p * 4
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: V.self), ry.loadUnaligned(fromByteOffset: o, as: V.self))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: V.self), ry.loadUnaligned(fromByteOffset: o + 64, as: V.self))
            s2 = s2.addingProduct(rx.loadUnaligned(fromByteOffset: o + 128, as: V.self), ry.loadUnaligned(fromByteOffset: o + 128, as: V.self))
            s3 = s3.addingProduct(rx.loadUnaligned(fromByteOffset: o + 192, as: V.self), ry.loadUnaligned(fromByteOffset: o + 192, as: V.self))
            p += 64
        }
        while p + 16 <= count {
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: p * 4, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            p += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while p < count { sum += x[p] * y[p]; p += 1 }
        return sum
    }
}
