// Cheap hashing for the tables a stream touches for every detected value (per-type tables, the workers'
// surrogate caches, the vault's digest index). Swift's default SipHash through `Hasher` cost more than
// detecting the values did; these types implement Hashable's `_rawHashValue(seed:)` customisation point
// instead, which Dictionary and Set call directly.

/// The SplitMix64 finaliser: every input bit reaches every output bit.
@inline(__always) func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Drawn once per process, so that nobody can prepare values that collide in our tables (not a MAC:
/// it only keeps a hostile input from turning lookups quadratic in practice).
let processHashKey = UInt64.random(in: .min ... .max)

/// A 64-bit hash of bytes, eight at a time.
func fastHash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
    var h = seed ^ processHashKey ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
    var i = 0
    while i + 8 <= bytes.count {
        h = mix64(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        i += 8
    }
    if i < bytes.count {
        var tail: UInt64 = 0
        for k in i..<bytes.count { tail = tail << 8 | UInt64(bytes[k]) }
        h = mix64(h ^ tail)
    }
    return h
}

/// The `fastHash` of some bytes as a table key: already uniformly random, so Dictionary and Set use it as
/// it is. Equal keys may come from different bytes: a table that must tell them apart compares the bytes.
struct BytesHash: Hashable {
    let value: UInt64

    init(_ bytes: UnsafeRawBufferPointer, seed: UInt64) { value = fastHash(bytes, seed: seed) }

    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: value ^ UInt64(UInt(bitPattern: seed))) }
}

/// A fixed set of 64-bit hashes (the name lists): open addressing over a power-of-two table, probed with
/// the hash itself, so that a lookup is a few loads instead of a SipHash.
struct HashSet64: @unchecked Sendable {
    /// Never freed: the sets are built once for tables that live as long as the process (the name lists),
    /// and a plain pointer costs no reference counting on every probe, where an array's buffer was
    /// retained and released around each lookup.
    private let slots: UnsafePointer<UInt64>
    private let mask: Int

    init(_ values: some Sequence<UInt64>) {
        let distinct = Set(values.map { $0 == 0 ? 1 : $0 })
        var size = 16
        while size < distinct.count * 4 { size *= 2 }
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        for v in distinct {
            var i = Int(truncatingIfNeeded: mix64(v)) & (size - 1)
            while slots[i] != 0 { i = (i + 1) & (size - 1) }
            slots[i] = v
        }
        self.slots = UnsafePointer(slots)
        mask = size - 1
    }

    @inline(__always) func contains(_ value: UInt64) -> Bool {
        let v = value == 0 ? 1 : value
        var i = Int(truncatingIfNeeded: mix64(v)) & mask
        while slots[i] != 0 {
            if slots[i] == v { return true }
            i = (i + 1) & mask
        }
        return false
    }
}
