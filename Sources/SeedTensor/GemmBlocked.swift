/// The blocked algorithm behind `Gemm.multiply` for products big enough to pay for packing.
///
/// Each pass covers as many K-blocks of `kc` as the packing budget holds (all of them, for the products of
/// a model of GPT-2 small's size or smaller) in two parallel phases:
/// 1. Packing: op(B) into panels of `nr` columns and op(A) into panels of `mr` rows, each K-block apart,
///    shared by all threads. Each value is packed once, however the output is split.
/// 2. Jobs: each owns a tile of C (a block of row panels × a block of column panels) and, K-block by
///    K-block, runs the micro-kernel over it: for each column panel (kept in L1), down its row panels (kept
///    in L2). The tile itself stays in cache from one K-block to the next.
/// Two barriers per pass, where packing per K-block took two per K-block; and jobs small enough that the two
/// threads end together. No two threads ever write the same element, and each element sums its K-blocks in
/// order: results do not depend on scheduling.
struct BlockedGemm {
    static let kc = 256
    /// Rows of op(A) per job at most: an A block of 128 × `kc` floats (128 KB) stays in L2.
    static let mc = 128
    /// Columns of C per job at most, so that a job's tile of C stays in L2 between K-blocks.
    static let nc = 512
    /// Floats of packed operands per pass at most (64 MB): only the LM head of a large vocabulary (50,257 ×
    /// 768 floats of weights, 154 MB) and the long-K weight gradients need more than one pass.
    static let packingBudget = 16 << 20
    static let scratch = ScratchCache()

    let m: Int, n: Int, k: Int
    let operands: GemmOperands
    let pool: ThreadPool
    var kernel = MicroKernel.native

    var mr: Int { kernel.rows }
    var nr: Int { kernel.columns }

    func run(accumulate: Bool) {
        let mr = self.mr, nr = self.nr, kernel = self.kernel
        let kc = min(Self.kc, k)
        let kBlocks = (k + kc - 1) / kc
        let panelsN = (n + nr - 1) / nr, panelsM = (m + mr - 1) / mr
        let blockFloatsB = panelsN * nr * kc, blockFloatsA = panelsM * mr * kc
        let blocksPerPass = max(1, min(kBlocks, Self.packingBudget / (blockFloatsA + blockFloatsB)))
        let buffer = Self.scratch.take(blocksPerPass * (blockFloatsA + blockFloatsB) + 16)
        defer { Self.scratch.give(buffer) }
        let packedB = buffer.pointer, packedA = buffer.pointer + blocksPerPass * blockFloatsB

        // The grid of C tiles: row blocks of at most `mc` rows, column blocks of at most `nc` columns, and at
        // least eight tiles per thread, so that a thread the OS parks for a while delays little.
        let threads = pool.threadCount
        var rowBlocks = (m + Self.mc - 1) / Self.mc
        var columnBlocks = (n + Self.nc - 1) / Self.nc
        while rowBlocks * columnBlocks < 8 * threads && (columnBlocks < panelsN || rowBlocks < panelsM) {
            if columnBlocks < panelsN && (columnBlocks <= rowBlocks || rowBlocks == panelsM) { columnBlocks += 1 } else { rowBlocks += 1 }
        }
        let jobs = rowBlocks * columnBlocks
        let jobPool = Double(m) * Double(n) * Double(k) >= 2_000_000 ? pool : ThreadPool.inline
        // Packing tasks of about 16 panels each, so that both threads share the packing too.
        let packChunk = 16
        let chunksB = (panelsN + packChunk - 1) / packChunk, chunksA = (panelsM + packChunk - 1) / packChunk

        var kb0 = 0
        while kb0 < kBlocks {
            let blocks = min(blocksPerPass, kBlocks - kb0)
            jobPool.parallelFor(blocks * (chunksB + chunksA)) { task in
                let block = task / (chunksB + chunksA), chunk = task % (chunksB + chunksA)
                let p0 = (kb0 + block) * kc, kcBlock = min(kc, k - p0)
                if chunk < chunksB {
                    for panel in (chunk * packChunk)..<min(panelsN, (chunk + 1) * packChunk) {
                        packB(panel: panel, p0: p0, kc: kcBlock, into: packedB + block * blockFloatsB + panel * nr * kcBlock)
                    }
                } else {
                    let chunkA = chunk - chunksB
                    for rowPanel in (chunkA * packChunk)..<min(panelsM, (chunkA + 1) * packChunk) {
                        let i0 = rowPanel * mr
                        packA(i0: i0, rows: min(mr, m - i0), p0: p0, kc: kcBlock,
                              into: packedA + block * blockFloatsA + rowPanel * mr * kcBlock)
                    }
                }
            }
            jobPool.parallelFor(jobs) { job in
                let rowBlock = job / columnBlocks, columnBlock = job % columnBlocks
                let rowPanels = (panelsM * rowBlock / rowBlocks)..<(panelsM * (rowBlock + 1) / rowBlocks)
                let columnPanels = (panelsN * columnBlock / columnBlocks)..<(panelsN * (columnBlock + 1) / columnBlocks)
                for block in 0..<blocks {
                    let p0 = (kb0 + block) * kc, kcBlock = min(kc, k - p0)
                    let first = p0 == 0 && !accumulate
                    let aBlock = packedA + block * blockFloatsA, bBlock = packedB + block * blockFloatsB
                    for panel in columnPanels {
                        let j0 = panel * nr
                        let bPanel = bBlock + panel * nr * kcBlock
                        for rowPanel in rowPanels {
                            let i = rowPanel * mr
                            MicroKernel.run(kernel, kc: kcBlock, a: aBlock + rowPanel * mr * kcBlock, b: bPanel,
                                            c: operands.c + i * operands.ldc + j0, ldc: operands.ldc,
                                            rows: min(mr, m - i), columns: min(nr, n - j0), overwrite: first)
                        }
                    }
                }
            }
            kb0 += blocks
        }
    }

    /// Rows i0..<i0+rows of op(A), columns p0..<p0+kc, as `kc` groups of `mr` values (zero-padded rows).
    private func packA(i0: Int, rows: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        let mr = self.mr
        let o = operands
        if o.transA {
            for p in 0..<kc {
                let src = o.a + (p0 + p) * o.lda + i0
                let d = dst + p * mr
                for r in 0..<rows { d[r] = src[r] }
                for r in rows..<mr { d[r] = 0 }
            }
        } else {
            for r in 0..<rows {
                let src = o.a + (i0 + r) * o.lda + p0
                for p in 0..<kc { dst[p * mr + r] = src[p] }
            }
            for r in rows..<mr { for p in 0..<kc { dst[p * mr + r] = 0 } }
        }
    }

    /// Columns panel*nr..<+nr of op(B), rows p0..<p0+kc, as `kc` groups of `nr` values (zero-padded columns).
    private func packB(panel: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = self.nr
        let o = operands
        let j0 = panel * nr
        let cols = min(nr, n - j0)
        if o.transB {
            // Rows of the stored B become columns of the panel: 8×8 blocks are transposed in registers, and
            // what is left at the edges (a last panel narrower than `nr`, a K-block not a multiple of 8) goes
            // one float at a time.
            let blocked = nr % 8 == 0 && cols == nr ? kc / 8 * 8 : 0
            if blocked > 0 {
                for c0 in stride(from: 0, to: nr, by: 8) {
                    let source = o.b + (j0 + c0) * o.ldb + p0
                    for p in stride(from: 0, to: blocked, by: 8) {
                        Transpose.block8x8(source + p, sourceStride: o.ldb, dst + p * nr + c0, destinationStride: nr)
                    }
                }
            }
            for p in blocked..<kc {
                let d = dst + p * nr
                for c in 0..<nr { d[c] = c < cols ? o.b[(j0 + c) * o.ldb + p0 + p] : 0 }
            }
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
