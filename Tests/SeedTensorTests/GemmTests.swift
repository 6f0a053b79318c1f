import XCTest
@testable import SeedTensor

final class GemmTests: XCTestCase {
    /// The float64 reference: C = op(A)·op(B) (+ C0).
    private func reference(m: Int, n: Int, k: Int, a: [Float], lda: Int, transA: Bool, b: [Float], ldb: Int, transB: Bool,
                           c0: [Float], ldc: Int, accumulate: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c0[i * ldc + j]) : 0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                out[i * n + j] = sum
            }
        }
        return out
    }

    private func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, accumulate: Bool, padding: Int, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) {
        // Both micro-kernel shapes, whichever this machine would choose.
        for kernel in MicroKernel.Shape.allCases {
            check(m: m, n: n, k: k, transA: transA, transB: transB, accumulate: accumulate, padding: padding, seed: seed,
                  kernel: kernel, file: file, line: line)
        }
    }

    private func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, accumulate: Bool, padding: Int, seed: UInt64,
                       kernel: MicroKernel.Shape, file: StaticString, line: UInt) {
        var rng = RefRandom(seed: seed)
        let lda = (transA ? m : k) + padding, ldb = (transB ? k : n) + padding, ldc = n + padding
        let a = (0..<((transA ? k : m) * lda)).map { _ in rng.float() }
        let b = (0..<((transB ? n : k) * ldb)).map { _ in rng.float() }
        var c = (0..<(m * ldc)).map { _ in rng.float() }
        let c0 = c
        let expected = reference(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB,
                                 c0: c0, ldc: ldc, accumulate: accumulate)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Gemm.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, transA: transA,
                                  b: bp.baseAddress!, ldb: ldb, transB: transB, c: cp.baseAddress!, ldc: ldc, accumulate: accumulate,
                                  pool: .shared, kernel: kernel)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let e = expected[i * n + j]
                worst = max(worst, abs(Double(c[i * ldc + j]) - e) / (1 + abs(e)))
            }
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], "padding written", file: file, line: line) }
        }
        XCTAssertLessThan(worst, 1e-5 * Double(max(1, k)).squareRoot() + 1e-6,
                          "m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB) acc=\(accumulate) kernel=\(kernel)", file: file, line: line)
    }

    func testAllFormsOnOddAndTinyShapes() {
        let shapes = [(1, 1, 1), (1, 7, 3), (3, 1, 5), (7, 33, 9), (8, 32, 256), (9, 31, 257), (17, 65, 100),
                      (40, 50, 60), (129, 97, 300), (64, 64, 0)]
        var seed: UInt64 = 1
        for (m, n, k) in shapes {
            for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
                for accumulate in [false, true] {
                    seed += 1
                    check(m: m, n: n, k: k, transA: transA, transB: transB, accumulate: accumulate, padding: Int(seed % 3), seed: seed)
                }
            }
        }
    }

    func testRandomLargerShapesGoThroughTheBlockedPath() {
        var rng = RefRandom(seed: 99)
        for trial in 0..<6 {
            let m = 100 + Int(rng.next() % 200), n = 60 + Int(rng.next() % 300), k = 200 + Int(rng.next() % 400)
            check(m: m, n: n, k: k, transA: trial % 3 == 2, transB: trial % 3 == 1, accumulate: trial % 2 == 0,
                  padding: trial, seed: UInt64(trial))
        }
    }

    func testResultsDoNotDependOnScheduling() {
        var rng = RefRandom(seed: 7)
        let m = 300, n = 200, k = 700
        let a = (0..<(m * k)).map { _ in rng.float() }, b = (0..<(n * k)).map { _ in rng.float() }
        func product(_ pool: ThreadPool) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                Gemm.matmulTransposedB(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!, m: m, n: n, k: k, pool: pool)
            } } }
            return c
        }
        let parallel = product(.shared)
        XCTAssertEqual(parallel, product(.shared))
        XCTAssertEqual(parallel, product(ThreadPool(threads: 3)))
    }

    func testEightByEightTransposeWithStrides() {
        let sourceStride = 11, destinationStride = 13
        let source = (0..<(8 * sourceStride)).map { Float($0) }
        var destination = [Float](repeating: -1, count: 8 * destinationStride)
        source.withUnsafeBufferPointer { s in
            destination.withUnsafeMutableBufferPointer { d in
                Transpose.block8x8(s.baseAddress!, sourceStride: sourceStride, d.baseAddress!, destinationStride: destinationStride)
            }
        }
        for c in 0..<8 {
            for r in 0..<8 { XCTAssertEqual(destination[c * destinationStride + r], source[r * sourceStride + c]) }
            for gap in 8..<destinationStride where c < 7 { XCTAssertEqual(destination[c * destinationStride + gap], -1) }
        }
    }
}
