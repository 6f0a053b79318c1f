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

    /// A reference: `VaultIndex` lives in one vault and is never copied.
    let values = DigestTable()
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
        for (k, e) in entries.enumerated() {
            if k + Self.prefetchDistance < entries.count { values.prefetch(entries[k + Self.prefetchDistance].digest) }
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
        if number == list.count + 1 {
            // The usual case: numbers come in order.
            list.append(block)
            return
        }
        if number > list.count { list.append(contentsOf: repeatElement(0, count: number - list.count)) }
        list[number - 1] = block
    }

    /// How many digests ahead a batch loop asks for its table slots.
    static let prefetchDistance = 8

    /// What a block made of `values[missing]` (the index's misses, each digest once) should hold: new values get
    /// the next numbers of their type, values that lack a requested realistic surrogate get one; `stored` is
    /// the answer to each value. The index itself changes only once the block has committed.
    struct Pending {
        var entries: [VaultBlock.Entry] = []
        var originals: [UInt8] = []
        /// What each value is stored as, in the order asked.
        var stored: [Stored] = []
        var id: Int64 = 0
    }

    func pending(for missing: [Int], of values: [Vault.NewValue], found: [Stored?], originals: UnsafeBufferPointer<UInt8>,
                 asOf generation: Int64, key: VaultKey) -> Pending {
        var block = Pending()
        block.stored.reserveCapacity(missing.count)
        // The next number of each type within this block.
        var next = SmallTypeMap<Int>()
        var taken: Set<RealisticKey> = []
        // Unchanged since the lookup: what it found still holds, and no slot need be probed again.
        let unchanged = generation == syncedBlock
        for (k, u) in missing.enumerated() {
            if !unchanged, k + Self.prefetchDistance < missing.count { self.values.prefetch(values[missing[k + Self.prefetchDistance]].digest) }
            let v = values[u]
            let stored = unchanged ? found[u] : self.values[v.digest]
            if let stored, stored.serves(realistic: v.realistic) {
                block.stored.append(stored)
                continue
            }
            let number = stored?.number ?? {
                let n = next[v.type, default: (blocks[v.type]?.count ?? 0) + 1]
                next[v.type, default: 0] = n + 1
                return n
            }()
            let original = UnsafeBufferPointer(rebasing: originals[v.original])
            var realistic: [UInt8]?
            if v.realistic {
                let like = Array(original)
                for attempt in 0..<1000 {
                    let seed = key.surrogateSeed(type: v.type, value: like, attempt: attempt)
                    let candidate = RealisticKey(type: v.type, text: RealisticSurrogates.make(type: v.type, like: like, seed: seed))
                    guard !takenRealistic.contains(candidate), taken.insert(candidate).inserted else { continue }
                    realistic = candidate.text
                    break
                }
            }
            block.entries.append(VaultBlock.Entry(type: v.type, number: number, digest: v.digest, originalLength: original.count, realistic: realistic))
            block.originals.append(contentsOf: original)
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

/// Formatted on the stack and appended as one copy: a batch writes thousands of them.
func appendPlaceholder(_ type: EntityType, _ number: Int, to out: inout [UInt8]) {
    var digits = 1
    var rest = number
    while rest >= 10 {
        rest /= 10
        digits += 1
    }
    let name = type.utf8
    let length = name.count + digits + 3
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
        let p = buffer.baseAddress!
        p[0] = .lessThan
        (p + 1).update(from: name.baseAddress!, count: name.count)
        p[name.count + 1] = .underscore
        var n = number
        for k in stride(from: name.count + 1 + digits, to: name.count + 1, by: -1) {
            p[k] = UInt8(48 + n % 10)
            n /= 10
        }
        p[length - 1] = .greaterThan
        out.append(contentsOf: UnsafeBufferPointer(buffer))
    }
}
