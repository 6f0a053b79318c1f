/// A vault block, opened: its entries and their originals, back to back in one buffer.
struct OpenedBlock {
    let entries: [VaultBlock.Entry]
    let originals: [UInt8]
    /// Where entry `k`'s original starts in `originals` (`count + 1` offsets).
    let offsets: [Int]

    init(entries: [VaultBlock.Entry], originals: [UInt8]) {
        self.entries = entries
        self.originals = originals
        var offsets = [0]
        offsets.reserveCapacity(entries.count + 1)
        for e in entries { offsets.append(offsets.last! + e.originalLength) }
        self.offsets = offsets
    }

    /// Entry `k`'s original.
    func original(_ k: Int) -> ArraySlice<UInt8> { originals[offsets[k]..<offsets[k + 1]] }
}

/// The originals of the vault blocks that restore opened, bounded by a number of originals: when full, the
/// blocks used least recently leave first. A cached block keeps one buffer of originals and, per type, the
/// entry of each number from the type's first number in the block on (a block numbers each type's new
/// values consecutively, interleaved with other types), so that opening a block costs no allocation and
/// no hashing per value. (The first version held a dictionary entry and an array per original and was
/// emptied all at once at its limit: a long restore then reopened and decrypted an old block for almost
/// every repeated value, 6.7 MB/s on a 200 MB file with 1.4 million distinct values.)
struct OriginalCache {
    /// The entries of one type in a block: `entries[number - first]`, -1 where the block has none.
    private struct TypeEntries {
        let type: EntityType
        let first: Int
        var entries: [Int32]
    }

    /// A reference, so that a lookup marks its use in place instead of copying the block out and back.
    private final class Cached {
        let originals: [UInt8]
        let offsets: [Int]
        let types: [TypeEntries]
        /// Numbers out of their type's sequence (a realistic surrogate added later to an older value).
        let others: [Key: Int]
        var lastUse: Int

        init(_ opened: OpenedBlock, lastUse: Int) {
            originals = opened.originals
            offsets = opened.offsets
            var types: [TypeEntries] = []
            var others: [Key: Int] = [:]
            for (k, e) in opened.entries.enumerated() {
                guard let t = types.firstIndex(where: { $0.type == e.type }) else {
                    types.append(TypeEntries(type: e.type, first: e.number, entries: [Int32(k)]))
                    continue
                }
                let slot = e.number - types[t].first
                if slot >= 0, slot < types[t].entries.count {
                    if types[t].entries[slot] < 0 { types[t].entries[slot] = Int32(k) }
                } else if slot >= types[t].entries.count, slot < types[t].entries.count + 64 {
                    types[t].entries.append(contentsOf: repeatElement(-1, count: slot - types[t].entries.count))
                    types[t].entries.append(Int32(k))
                } else {
                    others[Key(type: e.type, number: e.number)] = k
                }
            }
            self.types = types
            self.others = others
            self.lastUse = lastUse
        }

        func entry(type: EntityType, number: Int) -> Int? {
            for t in types where t.type == type {
                let slot = number - t.first
                if slot >= 0, slot < t.entries.count, t.entries[slot] >= 0 { return Int(t.entries[slot]) }
                break
            }
            return others.isEmpty ? nil : others[Key(type: type, number: number)]
        }
    }

    private struct Key: Hashable {
        let type: EntityType
        let number: Int
    }

    let limit: Int
    private var blocks: [Int64: Cached] = [:]
    private var cachedOriginals = 0
    private var clock = 0

    init(limit: Int) { self.limit = limit }

    /// The original behind `<type_number>` if `block`, the block that holds it, is cached (and marks it used).
    mutating func original(type: EntityType, number: Int, in block: Int64) -> [UInt8]? {
        guard let cached = blocks[block], let k = cached.entry(type: type, number: number) else { return nil }
        clock += 1
        cached.lastUse = clock
        return Array(cached.originals[cached.offsets[k]..<cached.offsets[k + 1]])
    }

    /// Caches an opened block, then evicts the least recently used other blocks while the cache holds more
    /// than `limit` originals.
    mutating func add(block: Int64, _ opened: OpenedBlock) {
        clock += 1
        if let old = blocks[block] { cachedOriginals -= old.offsets.count - 1 }
        blocks[block] = Cached(opened, lastUse: clock)
        cachedOriginals += opened.entries.count
        while cachedOriginals > limit, blocks.count > 1,
              let oldest = blocks.filter({ $0.key != block }).min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            cachedOriginals -= blocks.removeValue(forKey: oldest)!.offsets.count - 1
        }
    }
}
