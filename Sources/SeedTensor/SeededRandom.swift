import Foundation

/// The one source of randomness in Seed: SplitMix64, small, fast and fully determined by its seed, so that
/// the same seed gives the same bits on every machine (weight init, data order, sampling).
public struct SeededRandom: RandomNumberGenerator, Sendable, Codable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box–Muller (one of the pair is used: simplicity over speed, it only runs at init).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUniform(), 0x1.0p-60), u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniformly random index in 0..<bound without modulo bias.
    public mutating func nextIndex(below bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }
}
