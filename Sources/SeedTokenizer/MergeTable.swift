/// The merges of a BPE model, looked up by the pair of ids they join: rank (lower merges first) and the id
/// of the joined token. Open addressing over one flat array whose slots hold key and value together, so
/// that a lookup touches one cache line: the encoder asks once per adjacent pair of every uncached piece,
/// and a `Dictionary` lookup costs several times more.
struct MergeTable: Sendable {
    struct Merge: Equatable {
        var rank: Int32
        var result: Int32
    }

    private struct Slot {
        var key: UInt64
        var merge: Merge
    }

    private static let emptyKey = UInt64.max
    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Slot](repeating: Slot(key: Self.emptyKey, merge: Merge(rank: 0, result: 0)), count: size)
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
        var index = Self.slot(key, mask)
        while slots[index].key != Self.emptyKey {
            if slots[index].key == key { return }
            index = (index + 1) & mask
        }
        slots[index] = Slot(key: key, merge: merge)
        count += 1
    }

    @inline(__always) func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        return slots.withUnsafeBufferPointer { slots in
            var index = Self.slot(key, mask)
            while true {
                let slot = slots[index]
                if slot.key == key { return slot.merge }
                if slot.key == Self.emptyKey { return nil }
                index = (index + 1) & mask
            }
        }
    }
}
