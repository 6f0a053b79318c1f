/// The originals of the vault blocks that restore opened, by surrogate, bounded by a number of entries:
/// when full, the blocks used least recently leave first. (Emptying the whole cache at its limit made a
/// long restore reopen and decrypt an old block for almost every repeated value: 6 MB/s on a 200 MB file
/// with 1.4 million distinct values.)
struct OriginalCache {
    struct Key: Hashable {
        let type: EntityType
        let number: Int

        static func == (a: Key, b: Key) -> Bool { a.number == b.number && a.type == b.type }
        func hash(into hasher: inout Hasher) { hasher.combine(type.code &+ UInt64(number)) }
        /// One multiply-xorshift mix instead of a SipHash: the dictionary holds up to a million keys, looked up
        /// once per restored surrogate.
        func _rawHashValue(seed: Int) -> Int {
            Int(truncatingIfNeeded: mix64(type.code ^ UInt64(truncatingIfNeeded: number) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt(bitPattern: seed))))
        }
    }

    let limit: Int
    private var originals: [Key: [UInt8]] = [:]
    private var blocks: [Int64: (keys: [Key], lastUse: Int)] = [:]
    private var clock = 0

    init(limit: Int) { self.limit = limit }

    /// The cached original of `key`, marking `block` (the one holding it) as used.
    mutating func original(_ key: Key, in block: Int64?) -> [UInt8]? {
        guard let original = originals[key] else { return nil }
        if let block {
            clock += 1
            blocks[block]?.lastUse = clock
        }
        return original
    }

    /// Caches every original of an opened block, then evicts the least recently used other blocks while
    /// the cache holds more than `limit` originals.
    mutating func add(block: Int64, _ entries: [(VaultBlock.Entry, [UInt8])]) {
        clock += 1
        var keys: [Key] = []
        keys.reserveCapacity(entries.count)
        for (e, original) in entries {
            let key = Key(type: e.type, number: e.number)
            originals[key] = original
            keys.append(key)
        }
        blocks[block] = (keys, clock)
        while originals.count > limit, blocks.count > 1,
              let oldest = blocks.filter({ $0.key != block }).min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            for key in blocks.removeValue(forKey: oldest)!.keys { originals.removeValue(forKey: key) }
        }
    }
}
