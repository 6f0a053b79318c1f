import XCTest
import SeedTensor

/// SplitMix64, kept local to the tests so kernel tests do not depend on library randomness.
struct RefRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func float(_ scale: Float = 1) -> Float { (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in float(scale) } }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// A FloatBuffer holding `values`, for handing pointers to kernels.
func refBuffer(_ values: [Float]) -> FloatBuffer {
    let b = FloatBuffer(count: values.count)
    for (i, x) in values.enumerated() { b[i] = x }
    return b
}

func refDoubles(_ values: [Float]) -> [Double] { values.map(Double.init) }

/// Largest |actual − expected| / (1 + |expected|) over matching elements.
func refWorstError(_ actual: [Float], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count, "size mismatch \(actual.count) vs \(expected.count)")
    var worst = 0.0
    for (a, e) in zip(actual, expected) {
        let err = Double(a).isFinite ? abs(Double(a) - e) / (1 + abs(e)) : .infinity
        worst = max(worst, err)
    }
    return worst
}

func refAssertClose(_ actual: [Float], _ expected: [Double], tolerance: Double, _ message: @autoclosure () -> String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    let worst = refWorstError(actual, expected)
    XCTAssertLessThan(worst, tolerance, "worst error \(worst) " + message(), file: file, line: line)
}

/// Central finite difference of a float64 function along coordinate `index`.
func refFiniteDifference(_ x: [Double], _ index: Int, step: Double = 1e-6, _ f: ([Double]) -> Double) -> Double {
    var plus = x, minus = x
    plus[index] += step
    minus[index] -= step
    return (f(plus) - f(minus)) / (2 * step)
}

func refBits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
