/// The register-tiled inner loop of the blocked GEMM: an 8×32 tile of C lives in sixteen 16-lane registers
/// while it walks K; each step loads two vectors of the B panel, broadcasts eight values of A and issues
/// sixteen fused multiply-adds (with `-target-cpu native` on AVX-512: one zmm FMA each).
/// A is read through eight row pointers and a step, so that the same loop serves a packed A panel
/// (rows 1 apart, step 8) and rows of a row-major A read in place (rows `lda` apart, step 1).
/// The body is written out by hand because the accumulators must stay in registers.
enum MicroKernel {
    static let rows = 8
    static let columns = 32

    typealias V = SIMD16<Float>

    /// Adds (or writes, when `overwrite`) op(A)[rows 0..<8, 0..<kc] · B-panel [kc×32] into the top-left
    /// `rows`×`columns` corner of the tile at `c`. Row r of A starts at `a + r * rowStride`; consecutive
    /// k are `step` apart. Rows past `rows` may point anywhere readable: their results are dropped.
    @inline(__always)
    static func run(kc: Int, a: UnsafePointer<Float>, rowStride: Int, step: Int, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool) {
        let last = rows - 1
        let a0 = a + min(0, last) * rowStride
        let a1 = a + min(1, last) * rowStride
        let a2 = a + min(2, last) * rowStride
        let a3 = a + min(3, last) * rowStride
        let a4 = a + min(4, last) * rowStride
        let a5 = a + min(5, last) * rowStride
        let a6 = a + min(6, last) * rowStride
        let a7 = a + min(7, last) * rowStride
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var bp = UnsafeRawPointer(b)
        var o = 0
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self), b1 = bp.load(fromByteOffset: 64, as: V.self)
            let x0 = V(repeating: a0[o])
            c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
            let x1 = V(repeating: a1[o])
            c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
            let x2 = V(repeating: a2[o])
            c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
            let x3 = V(repeating: a3[o])
            c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
            let x4 = V(repeating: a4[o])
            c40 = c40.addingProduct(x4, b0); c41 = c41.addingProduct(x4, b1)
            let x5 = V(repeating: a5[o])
            c50 = c50.addingProduct(x5, b0); c51 = c51.addingProduct(x5, b1)
            let x6 = V(repeating: a6[o])
            c60 = c60.addingProduct(x6, b0); c61 = c61.addingProduct(x6, b1)
            let x7 = V(repeating: a7[o])
            c70 = c70.addingProduct(x7, b0); c71 = c71.addingProduct(x7, b1)
            o += step; bp += 128
        }
        if rows == 8 && columns == 32 {
            store(c00, c01, to: c + 0 * ldc, overwrite: overwrite)
            store(c10, c11, to: c + 1 * ldc, overwrite: overwrite)
            store(c20, c21, to: c + 2 * ldc, overwrite: overwrite)
            store(c30, c31, to: c + 3 * ldc, overwrite: overwrite)
            store(c40, c41, to: c + 4 * ldc, overwrite: overwrite)
            store(c50, c51, to: c + 5 * ldc, overwrite: overwrite)
            store(c60, c61, to: c + 6 * ldc, overwrite: overwrite)
            store(c70, c71, to: c + 7 * ldc, overwrite: overwrite)
        } else {
            let tile = [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51), (c60, c61), (c70, c71)]
            for r in 0..<rows { storePartial(tile[r].0, tile[r].1, to: c + r * ldc, columns: columns, overwrite: overwrite) }
        }
    }

    @inline(__always)
    private static func store(_ lo: V, _ hi: V, to row: UnsafeMutablePointer<Float>, overwrite: Bool) {
        let raw = UnsafeMutableRawPointer(row)
        if overwrite {
            raw.storeBytes(of: lo, as: V.self); raw.storeBytes(of: hi, toByteOffset: 64, as: V.self)
        } else {
            raw.storeBytes(of: raw.loadUnaligned(as: V.self) + lo, as: V.self)
            raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 64, as: V.self) + hi, toByteOffset: 64, as: V.self)
        }
    }

    private static func storePartial(_ lo: V, _ hi: V, to row: UnsafeMutablePointer<Float>, columns: Int, overwrite: Bool) {
        for j in 0..<columns {
            let value = j < 16 ? lo[j] : hi[j - 16]
            row[j] = overwrite ? value : row[j] + value
        }
    }
}
