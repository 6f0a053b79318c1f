/// The blocked algorithm behind `Gemm.multiply` for products big enough to pay for packing.
///
/// Loop order (BLIS): for each K-block of `kc`, pack op(B) into panels of `nr` columns (all threads share
/// them); then each job takes a block of up to `mc` rows of op(A) and a range of column panels and, for each
/// column panel (kept in L1), runs the micro-kernel down its rows (kept in L2). A transposed A is packed into
/// panels of `mr` rows first; a row-major A is read in place, which saves the packing that small-N products
/// (N = 128 in a small model) would otherwise pay for on every row block. A job owns its tile of C, so no two threads ever write the same element and the summation
/// order of every element is fixed: results do not depend on scheduling.
struct BlockedGemm {
    static let kc = 256
    static let mc = 128
    static let scratch = ScratchCache()

    let m: Int, n: Int, k: Int
    let operands: GemmOperands
    let pool: ThreadPool
    var kernel = MicroKernel.native

    var mr: Int { kernel.rows }
    var nr: Int { kernel.columns }

    func run(accumulate: Bool) {
        let mr = self.mr, nr = self.nr, kernel = self.kernel
        let kcMax = min(Self.kc, k)
        let panelsN = (n + nr - 1) / nr
        let packedBuffer = Self.scratch.take(panelsN * nr * kcMax + 16)
        defer { Self.scratch.give(packedBuffer) }
        let packedB = packedBuffer.pointer

        // Row blocks of at most `mc` rows, but small enough that every thread gets about two of them:
        // a weight gradient of a 128-wide layer would otherwise be a single job on a single core.
        let perThread = ((m + 2 * pool.threadCount - 1) / (2 * pool.threadCount) + mr - 1) / mr * mr
        let mcTarget = min(Self.mc, max(mr, perThread))
        let rowBlocks = (m + mcTarget - 1) / mcTarget
        let mc = ((m + rowBlocks - 1) / rowBlocks + mr - 1) / mr * mr
        var columnBlocks = 1
        while rowBlocks * columnBlocks < 4 * pool.threadCount && panelsN >= columnBlocks * 2 * 4 { columnBlocks *= 2 }
        let jobs = rowBlocks * columnBlocks
        let threadsWork = Double(m) * Double(n) * Double(k) >= 2_000_000
        let jobPool = threadsWork ? pool : ThreadPool.inline

        var p0 = 0
        while p0 < k {
            let kcBlock = min(Self.kc, k - p0)
            let first = p0 == 0 && !accumulate
            jobPool.parallelRanges(panelsN, minimum: 2) { panels in
                for panel in panels { packB(panel: panel, p0: p0, kc: kcBlock, into: packedB + panel * nr * kcBlock) }
            }
            jobPool.parallelFor(jobs) { job in
                let rowBlock = job / columnBlocks, columnBlock = job % columnBlocks
                let i0 = rowBlock * mc
                let rows = min(mc, m - i0)
                if rows <= 0 { return }
                let panelStart = panelsN * columnBlock / columnBlocks
                let panelEnd = panelsN * (columnBlock + 1) / columnBlocks
                let rowPanels = (rows + mr - 1) / mr
                // A row-major A is read in place (its rows are contiguous in k); a transposed one is packed.
                let packedA: UnsafeMutablePointer<Float>? = operands.transA
                    ? .allocate(capacity: rowPanels * mr * kcBlock + 16) : nil
                defer { packedA?.deallocate() }
                if let packedA {
                    for rp in 0..<rowPanels {
                        packA(i0: i0 + rp * mr, rows: min(mr, rows - rp * mr), p0: p0, kc: kcBlock, into: packedA + rp * mr * kcBlock)
                    }
                }
                for panel in panelStart..<panelEnd {
                    let j0 = panel * nr
                    let cols = min(nr, n - j0)
                    let bPanel = packedB + panel * nr * kcBlock
                    for rp in 0..<rowPanels {
                        let i = i0 + rp * mr
                        let c = operands.c + i * operands.ldc + j0
                        if let packedA {
                            MicroKernel.run(kernel, kc: kcBlock, a: packedA + rp * mr * kcBlock, rowStride: 1, step: mr, b: bPanel,
                                            c: c, ldc: operands.ldc, rows: min(mr, m - i), columns: cols, overwrite: first)
                        } else {
                            MicroKernel.run(kernel, kc: kcBlock, a: operands.a + i * operands.lda + p0, rowStride: operands.lda, step: 1,
                                            b: bPanel, c: c, ldc: operands.ldc, rows: min(mr, m - i), columns: cols, overwrite: first)
                        }
                    }
                }
            }
            p0 += kcBlock
        }
    }

    /// Rows i0..<i0+rows of a transposed A (stored k×m), columns p0..<p0+kc, as `kc` groups of `mr` values.
    private func packA(i0: Int, rows: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        let mr = self.mr
        let o = operands
        for p in 0..<kc {
            let src = o.a + (p0 + p) * o.lda + i0
            let d = dst + p * mr
            for r in 0..<rows { d[r] = src[r] }
            for r in rows..<mr { d[r] = 0 }
        }
    }

    /// Columns panel*nr..<+nr of op(B), rows p0..<p0+kc, as `kc` groups of `nr` values (zero-padded columns).
    private func packB(panel: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = self.nr
        let o = operands
        let j0 = panel * nr
        let cols = min(nr, n - j0)
        if o.transB {
            // Rows of the stored B become columns of the panel. Walking k outermost keeps the `nr` source rows'
            // cache lines hot and writes each panel row whole.
            let rowsOfB = (0..<cols).map { o.b + (j0 + $0) * o.ldb + p0 }
            rowsOfB.withUnsafeBufferPointer { sources in
                for p in 0..<kc {
                    let d = dst + p * nr
                    for c in 0..<cols { d[c] = sources[c][p] }
                }
            }
            if cols < nr { for p in 0..<kc { for c in cols..<nr { dst[p * nr + c] = 0 } } }
        } else if cols == nr {
            for p in 0..<kc {
                let src = UnsafeRawPointer(o.b + (p0 + p) * o.ldb + j0), d = UnsafeMutableRawPointer(dst + p * nr)
                for offset in stride(from: 0, to: nr * 4, by: 64) {
                    d.storeBytes(of: src.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self), toByteOffset: offset, as: SIMD16<Float>.self)
                }
            }
        } else {
            for p in 0..<kc {
                let src = o.b + (p0 + p) * o.ldb + j0
                let d = dst + p * nr
                for c in 0..<cols { d[c] = src[c] }
                for c in cols..<nr { d[c] = 0 }
            }
        }
    }
}
