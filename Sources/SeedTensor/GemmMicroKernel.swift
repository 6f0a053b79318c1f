import CSeedPrefetch
import Foundation

/// The register-tiled inner loops of the blocked GEMM, in two shapes, because the best tile is the largest
/// one whose accumulators fit the vector registers:
/// - `wide`, 8×32: sixteen 16-lane accumulators, one zmm each with AVX-512's 32 registers.
/// - `narrow`, 6×16: six 16-lane accumulators, twelve ymm registers when only AVX2's 16 exist. The wide
///   tile there needs 32 ymm registers for its accumulators alone: it spilled them to the stack on every
///   step and ran at 0.6× numpy's OpenBLAS.
/// Each step loads the B panel's vectors, broadcasts one value of A per row and issues one fused
/// multiply-add per accumulator. A comes packed, `rows` values per step, so that its broadcasts are loads at
/// fixed offsets from one pointer. The bodies are written out by hand because the accumulators must stay in
/// registers.
enum MicroKernel {
    enum Shape: CaseIterable {
        case wide, narrow

        var rows: Int { self == .wide ? 8 : 6 }
        var columns: Int { self == .wide ? 32 : 16 }
    }

    typealias V = SIMD16<Float>

    /// The shape for this machine. Seed is built with `-target-cpu native`, so the compiler emits zmm code
    /// exactly when the CPU it runs on reports AVX-512 (a VM may hide it on a CPU that has it).
    static let native: Shape = hostHasAVX512() ? .wide : .narrow

    private static func hostHasAVX512() -> Bool {
        #if os(Linux) && arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return flags.split(separator: " ").contains("avx512f")
        #else
        return false
        #endif
    }

    /// Adds (or writes, when `overwrite`) A-panel [kc × shape.rows] · B-panel [kc × shape.columns] into the
    /// top-left `rows`×`columns` corner of the tile at `c`. The panel's rows past `rows` are dropped.
    @inline(__always)
    static func run(_ shape: Shape, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool) {
        // The tile of C is read or written once, after all the multiply-adds: asking for its lines now lets
        // them arrive meanwhile. Without it, the loads of C took a tenth of the kernel's time in a profile of
        // a 512-token prompt (a tile's rows are `ldc` apart, each line a likely miss).
        for r in 0..<rows {
            seed_prefetch(c + r * ldc)
            seed_prefetch(c + r * ldc + columns - 1)
        }
        switch shape {
        case .wide:
            runWide(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, columns: columns, overwrite: overwrite)
        case .narrow:
            runNarrow(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, columns: columns, overwrite: overwrite)
        }
    }

    @inline(__always)
    static func runNarrow(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                          c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var bp = UnsafeRawPointer(b)
        var ap = a
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self)
            c0 = c0.addingProduct(V(repeating: ap[0]), b0)
            c1 = c1.addingProduct(V(repeating: ap[1]), b0)
            c2 = c2.addingProduct(V(repeating: ap[2]), b0)
            c3 = c3.addingProduct(V(repeating: ap[3]), b0)
            c4 = c4.addingProduct(V(repeating: ap[4]), b0)
            c5 = c5.addingProduct(V(repeating: ap[5]), b0)
            ap += 6; bp += 64
        }
        if rows == 6 && columns == 16 {
            store(c0, to: c, overwrite: overwrite)
            store(c1, to: c + ldc, overwrite: overwrite)
            store(c2, to: c + 2 * ldc, overwrite: overwrite)
            store(c3, to: c + 3 * ldc, overwrite: overwrite)
            store(c4, to: c + 4 * ldc, overwrite: overwrite)
            store(c5, to: c + 5 * ldc, overwrite: overwrite)
        } else {
            let tile = [c0, c1, c2, c3, c4, c5]
            for r in 0..<rows { storePartial(tile[r], V(), to: c + r * ldc, columns: columns, overwrite: overwrite) }
        }
    }

    @inline(__always)
    static func runWide(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool) {
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var bp = UnsafeRawPointer(b)
        var ap = a
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self), b1 = bp.load(fromByteOffset: 64, as: V.self)
            let x0 = V(repeating: ap[0])
            c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
            let x1 = V(repeating: ap[1])
            c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
            let x2 = V(repeating: ap[2])
            c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
            let x3 = V(repeating: ap[3])
            c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
            let x4 = V(repeating: ap[4])
            c40 = c40.addingProduct(x4, b0); c41 = c41.addingProduct(x4, b1)
            let x5 = V(repeating: ap[5])
            c50 = c50.addingProduct(x5, b0); c51 = c51.addingProduct(x5, b1)
            let x6 = V(repeating: ap[6])
            c60 = c60.addingProduct(x6, b0); c61 = c61.addingProduct(x6, b1)
            let x7 = V(repeating: ap[7])
            c70 = c70.addingProduct(x7, b0); c71 = c71.addingProduct(x7, b1)
            ap += 8; bp += 128
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
    private static func store(_ value: V, to row: UnsafeMutablePointer<Float>, overwrite: Bool) {
        let raw = UnsafeMutableRawPointer(row)
        raw.storeBytes(of: overwrite ? value : raw.loadUnaligned(as: V.self) + value, as: V.self)
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
            let value = j < 16 ? lo[j] : hi[j - 16]  // a narrow tile passes zeros as `hi` and 16 columns at most
            row[j] = overwrite ? value : row[j] + value
        }
    }
}
