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

    /// A realistic surrogate as a 64-bit hash of its type and text: what keeps two values from sharing one
    /// fake. Two fakes with equal hashes only cost a draw more, so no text need be kept: a set of arrays
    /// (an allocation and a byte-by-byte hash per fake) had taken half of a realistic run, under the lock.
    static func fingerprint(type: EntityType, text: [UInt8]) -> BytesHash {
        text.withUnsafeBytes { BytesHash($0, seed: type.code) }
    }

    /// A reference: `VaultIndex` lives in one vault and is never copied.
    let values = DigestTable()
    /// Whether `values` is kept: only pseudonymizing looks values up by digest; restore needs the blocks.
    let indexesDigests: Bool
    /// Per type (by the type's id, which is small and dense), the block of each number (`[number - 1]`);
    /// numbers of a type are handed out densely. An array by id, not a dictionary by type: every entry of
    /// every committed block is recorded here, under the vault's lock.
    private var blocks: [[Int64]] = []
    private var takenRealistic: Set<BytesHash> = []
    private(set) var realisticBlocks: [Int64] = []
    private(set) var syncedBlock: Int64 = 0

    init(indexesDigests: Bool = true) { self.indexesDigests = indexesDigests }

    /// Distinct values: each has one number of its type.
    var valueCount: Int { indexesDigests ? values.count : blocks.reduce(0) { $0 + $1.count } }

    func block(of type: EntityType, number: Int) -> Int64? {
        guard number >= 1, number <= numbersUsed(type) else { return nil }
        let block = blocks[Int(type.id)][number - 1]
        return block > 0 ? block : nil
    }

    /// How many numbers of `type` the committed blocks hold.
    private func numbersUsed(_ type: EntityType) -> Int { Int(type.id) < blocks.count ? blocks[Int(type.id)].count : 0 }

    /// Records a committed block; blocks must come in id order.
    mutating func add(_ entries: [VaultBlock.Entry], block: Int64) {
        var hasRealistic = false
        for (k, e) in entries.enumerated() {
            if indexesDigests {
                if k + Self.prefetchDistance < entries.count { values.prefetch(entries[k + Self.prefetchDistance].digest) }
                values.set(Stored(number: e.number, realistic: e.realistic), for: e.digest)
            }
            let t = Int(e.type.id)
            if t >= blocks.count { blocks.append(contentsOf: repeatElement([], count: t + 1 - blocks.count)) }
            Self.set(&blocks[t], number: e.number, to: block)
            if let r = e.realistic {
                // Only pseudonymizing draws fakes; a restore-only index skips 456,000 set inserts on a big vault.
                if indexesDigests { takenRealistic.insert(Self.fingerprint(type: e.type, text: r)) }
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

    /// Draws of a realistic surrogate before a value settles for `<TYPE_n>`: every draw is taken only when
    /// nearly all of the type's fakes are (a chance of 0.9⁶⁴, 1 in 850, with nine in ten taken).
    static let realisticDraws = 64

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

    /// The draws of one value's realistic surrogate. The first is made before the vault's lock is taken
    /// (it is seldom a fake that is already taken), and the next ones, when needed, under it: drawing under
    /// the lock had kept one worker waiting while the other drew.
    struct RealisticDraw {
        let type: EntityType
        let like: [UInt8]
        private var generator: SplitMix
        private(set) var text: [UInt8]
        private(set) var fingerprint: BytesHash

        init(type: EntityType, original: UnsafeBufferPointer<UInt8>, key: VaultKey) {
            self.type = type
            like = Array(original)
            // One keyed seed per value, and the next draws from a generator it seeds: a keyed hash per draw
            // had made a vault with many names take a thousand hashes for each new one.
            var generator = SplitMix(seed: key.surrogateSeed(type: type, value: original))
            (text, fingerprint) = Self.draw(type, like, &generator)
            self.generator = generator
        }

        mutating func drawAgain() { (text, fingerprint) = Self.draw(type, like, &generator) }

        private static func draw(_ type: EntityType, _ like: [UInt8], _ generator: inout SplitMix) -> ([UInt8], BytesHash) {
            let text = RealisticSurrogates.make(type: type, like: like, seed: generator.next())
            return (text, VaultIndex.fingerprint(type: type, text: text))
        }
    }

    /// `draws[k]` is the first draw of `values[missing[k]]`, set for every value that wants a realistic surrogate.
    func pending(for missing: [Int], of values: [Vault.NewValue], found: [Stored?], originals: UnsafeBufferPointer<UInt8>,
                 asOf generation: Int64, draws: [RealisticDraw?]) -> Pending {
        var block = Pending()
        block.stored.reserveCapacity(missing.count)
        // The next number of each type within this block.
        var next = SmallTypeMap<Int>()
        var taken: Set<BytesHash> = []
        if missing.contains(where: { values[$0].realistic }) { taken.reserveCapacity(missing.count) }
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
                let n = next[v.type, default: numbersUsed(v.type) + 1]
                next[v.type, default: 0] = n + 1
                return n
            }()
            let original = UnsafeBufferPointer(rebasing: originals[v.original])
            var realistic: [UInt8]?
            if v.realistic {
                var draw = draws[k]!
                for attempt in 0..<Self.realisticDraws {
                    if attempt > 0 { draw.drawAgain() }
                    guard !takenRealistic.contains(draw.fingerprint), taken.insert(draw.fingerprint).inserted else { continue }
                    realistic = draw.text
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
