/// The merges of a BPE model, looked up by the pair of ids they join: rank (lower merges first) and the id
/// of the joined token. Open addressing over one flat array, because the encoder asks it once per
/// adjacent pair of every uncached piece and a `Dictionary` lookup costs several times more.
struct MergeTable: Sendable {
    struct Merge: Equatable {
        var rank: Int32
        var result: Int32
    }

    private static let emptyKey = UInt64.max
    private var keys: [UInt64]
    private var values: [Merge]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: Self.emptyKey, count: size)
        values = [Merge](repeating: Merge(rank: 0, result: 0), count: size)
        mask = size - 1
    }

    @inline(__always) private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        // Fibonacci hashing spreads the consecutive ids that neighbouring merges have.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// Keeps the first merge given for a pair: a later duplicate could never be reached by the encoder.
    mutating func insert(left: Int32, right: Int32, merge: Merge) {
        let key = Self.key(left, right)
        var slot = Self.slot(key, mask)
        while keys[slot] != Self.emptyKey {
            if keys[slot] == key { return }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        values[slot] = merge
        count += 1
    }

    @inline(__always) func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        return keys.withUnsafeBufferPointer { keys in
            var slot = Self.slot(key, mask)
            while true {
                let found = keys[slot]
                if found == key { return values.withUnsafeBufferPointer { $0[slot] } }
                if found == Self.emptyKey { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}
