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

    func original(_ k: Int) -> [UInt8] { Array(originals[offsets[k]..<offsets[k + 1]]) }
}

/// The originals of the vault blocks that restore opened, bounded by a number of originals: when full, the
/// blocks used least recently leave first. A cached block keeps one buffer of originals and finds a
/// surrogate by its type's run of numbers (a block numbers each type's new values consecutively), so that
/// opening a block costs no allocation and no hashing per value. (The first version held a dictionary entry
/// and an array per original and was emptied all at once at its limit: a long restore then reopened and
/// decrypted an old block for almost every repeated value, 6.7 MB/s on a 200 MB file with 1.4 million
/// distinct values.)
struct OriginalCache {
    /// Consecutive numbers of one type in a block, from entry `entry` on.
    private struct Run {
        let type: EntityType
        let first: Int
        var count: Int
        let entry: Int
    }

    private struct Cached {
        let originals: [UInt8]
        let offsets: [Int]
        let runs: [Run]
        var lastUse: Int
    }

    let limit: Int
    private var blocks: [Int64: Cached] = [:]
    private var cachedOriginals = 0
    private var clock = 0

    init(limit: Int) { self.limit = limit }

    /// The original behind `<type_number>` if `block`, the block that holds it, is cached (and marks it used).
    mutating func original(type: EntityType, number: Int, in block: Int64) -> [UInt8]? {
        guard var cached = blocks[block] else { return nil }
        for run in cached.runs where run.type.code == type.code && number >= run.first && number < run.first + run.count && run.type == type {
            let k = run.entry + number - run.first
            clock += 1
            cached.lastUse = clock
            blocks[block] = cached
            return Array(cached.originals[cached.offsets[k]..<cached.offsets[k + 1]])
        }
        return nil
    }

    /// Caches an opened block, then evicts the least recently used other blocks while the cache holds more
    /// than `limit` originals.
    mutating func add(block: Int64, _ opened: OpenedBlock) {
        var runs: [Run] = []
        for (k, e) in opened.entries.enumerated() {
            if let last = runs.last, last.type == e.type, e.number == last.first + last.count, last.entry + last.count == k {
                runs[runs.count - 1].count += 1
            } else {
                runs.append(Run(type: e.type, first: e.number, count: 1, entry: k))
            }
        }
        clock += 1
        if let old = blocks[block] { cachedOriginals -= old.offsets.count - 1 }
        blocks[block] = Cached(originals: opened.originals, offsets: opened.offsets, runs: runs, lastUse: clock)
        cachedOriginals += opened.entries.count
        while cachedOriginals > limit, blocks.count > 1,
              let oldest = blocks.filter({ $0.key != block }).min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            cachedOriginals -= blocks.removeValue(forKey: oldest)!.offsets.count - 1
        }
    }
}
