/// SplitMix64: the small deterministic generator behind realistic surrogates and the labelled corpus.
/// Same seed, same bits, on every platform.
public struct SplitMix: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix64(state)
    }

    mutating func digit(_ range: ClosedRange<Int> = 0...9) -> UInt8 { UInt8(48 + Int.random(in: range, using: &self)) }
    mutating func upper() -> UInt8 { UInt8(65 + Int.random(in: 0..<26, using: &self)) }
    mutating func lower() -> UInt8 { UInt8(97 + Int.random(in: 0..<26, using: &self)) }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}
