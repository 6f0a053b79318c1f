/// A vault's entries in memory, as of block `syncedBlock`: which values it holds (by digest), which block
/// holds each surrogate's original, and which realistic surrogates are taken. The vault guards it with its
/// lock; it does no I/O.
struct VaultIndex {
    struct Stored {
        var number: Int
        var realistic: [UInt8]?

        /// Whether this value has the surrogate a request needs (a realistic one is made on first request).
        func serves(realistic wanted: Bool) -> Bool { !wanted || realistic != nil }

        func surrogate(type: EntityType, realistic wanted: Bool) -> [UInt8] {
            if wanted, let realistic { return realistic }
            return placeholder(type, number)
        }
    }

    struct RealisticKey: Hashable {
        let type: EntityType
        let text: [UInt8]
    }

    private(set) var values = DigestTable()
    /// Per type, the block of each number (`[number - 1]`); numbers of a type are handed out densely.
    private var blocks: [EntityType: [Int64]] = [:]
    private var takenRealistic: Set<RealisticKey> = []
    private(set) var realisticBlocks: [Int64] = []
    private(set) var syncedBlock: Int64 = 0

    func block(of type: EntityType, number: Int) -> Int64? {
        guard let list = blocks[type], number >= 1, number <= list.count, list[number - 1] > 0 else { return nil }
        return list[number - 1]
    }

    /// Records a committed block; blocks must come in id order.
    mutating func add(_ entries: [VaultBlock.Entry], block: Int64) {
        var hasRealistic = false
        for e in entries {
            values.set(Stored(number: e.number, realistic: e.realistic), for: e.digest)
            Self.set(&blocks[e.type, default: []], number: e.number, to: block)
            if let r = e.realistic {
                takenRealistic.insert(RealisticKey(type: e.type, text: r))
                hasRealistic = true
            }
        }
        if hasRealistic { realisticBlocks.append(block) }
        syncedBlock = block
    }

    /// In place (through the dictionary's modify accessor): no copy of the list per entry.
    private static func set(_ list: inout [Int64], number: Int, to block: Int64) {
        if number > list.count { list.append(contentsOf: repeatElement(0, count: number - list.count)) }
        list[number - 1] = block
    }

    /// What a block made of these requests (the index's misses) should hold: new values get the next
    /// numbers of their type, values that lack a requested realistic surrogate get one; `surrogates` is
    /// the answer to each request. The index itself changes only once the block has committed.
    struct Pending {
        var entries: [VaultBlock.Entry] = []
        var originals: [UInt8] = []
        /// What each request is stored as, in request order.
        var stored: [Stored] = []
        var id: Int64 = 0
    }

    func pending(for requests: [(request: Vault.Request, digest: VaultDigest, found: Stored?)], asOf generation: Int64, key: VaultKey) -> Pending {
        var block = Pending()
        var entryOf: [VaultDigest: Int] = [:]
        var next: [EntityType: Int] = [:]
        var taken: Set<RealisticKey> = []
        let unchanged = generation == syncedBlock
        for (r, digest, found) in requests {
            var stored = unchanged ? found : values[digest]
            if let e = entryOf[digest] { stored = Stored(number: block.entries[e].number, realistic: block.entries[e].realistic ?? stored?.realistic) }
            if let stored, stored.serves(realistic: r.realistic) {
                block.stored.append(stored)
                continue
            }
            let number = stored?.number ?? {
                let n = next[r.type] ?? (blocks[r.type]?.count ?? 0) + 1
                next[r.type] = n + 1
                return n
            }()
            var realistic: [UInt8]?
            if r.realistic {
                for attempt in 0..<1000 {
                    let seed = key.surrogateSeed(type: r.type, value: r.original, attempt: attempt)
                    let candidate = RealisticKey(type: r.type, text: RealisticSurrogates.make(type: r.type, like: r.original, seed: seed))
                    guard !takenRealistic.contains(candidate), taken.insert(candidate).inserted else { continue }
                    realistic = candidate.text
                    break
                }
            }
            let entry = VaultBlock.Entry(type: r.type, number: number, digest: digest, originalLength: r.original.count, realistic: realistic)
            if let e = entryOf[digest] {
                block.entries[e].realistic = realistic
            } else {
                entryOf[digest] = block.entries.count
                block.entries.append(entry)
                block.originals.append(contentsOf: r.original)
            }
            block.stored.append(Stored(number: number, realistic: realistic))
        }
        return block
    }
}

/// `<TYPE_number>`.
func placeholder(_ type: EntityType, _ number: Int) -> [UInt8] {
    var out: [UInt8] = []
    appendPlaceholder(type, number, to: &out)
    return out
}

func appendPlaceholder(_ type: EntityType, _ number: Int, to out: inout [UInt8]) {
    out.append(.lessThan)
    out.append(contentsOf: type.name.utf8)
    out.append(.underscore)
    var divisor = 1
    while divisor <= number / 10 { divisor *= 10 }
    var n = number
    while divisor > 0 {
        out.append(UInt8(48 + n / divisor))
        n %= divisor
        divisor /= 10
    }
    out.append(.greaterThan)
}
