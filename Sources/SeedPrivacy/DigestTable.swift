import CSeedPrefetch
import Foundation

/// The vault's values by digest: an open-addressing table probed linearly from the digest's high word
/// (already uniformly random). A stream that meets hundreds of thousands of new values a second looks up
/// and inserts each once, at a random place of a table far larger than the caches, so the layout is
/// chosen for misses:
/// - a slot is 16 bytes (four to a cache line) and holds the whole entry: one miss per probe, where
///   Dictionary's separate key and value arrays cost two or three;
/// - the slots live in their own anonymous mapping, zeroed by the kernel: a new table needs no zeroing
///   pass. On Linux the mapping is populated when it is made (`MAP_POPULATE`): a rehash touches every
///   page of the new table anyway, and one call costs less than a page fault per 4 KB (the growths of a
///   65 MB run had taken some 8,000 faults, under the vault's lock). Backing it with 2 MB pages
///   (`MADV_HUGEPAGE`) saved TLB misses on lookups but cost more than it saved on the development VM,
///   where the kernel clears each fresh huge page at first touch: the table's share of a 65 MB run was
///   222–246 profile samples with huge pages, 157–176 without.
/// - callers going through a batch call `prefetch` a few digests ahead, so that misses overlap.
///
/// A slot keeps the digest's high word and the top half of its low word: 96 bits, so two distinct values
/// share a slot with probability 2⁻⁹⁶ per pair. Realistic surrogates, rare, live in a side dictionary.
///
/// A reference type: the vault's index owns the one table and never copies it.
final class DigestTable {
    private struct Slot {
        var high: UInt64
        var low: UInt32
        /// The surrogate number, 0 for an empty slot (numbers start at 1); the top bit says that the
        /// value has a realistic surrogate in `realistics`.
        var tagged: UInt32
    }

    private static let realisticFlag: UInt32 = 1 << 31
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private var mapping: (base: UnsafeMutableRawPointer, bytes: Int)
    private var realistics: [VaultDigest: [UInt8]] = [:]
    private(set) var count = 0

    init() {
        capacity = 1 << 12
        mapping = Self.map(slotCount: capacity)
        slots = Self.slots(in: mapping)
    }

    deinit { munmap(mapping.base, mapping.bytes) }

    @inline(__always) private func home(_ digest: VaultDigest) -> Int { Int(truncatingIfNeeded: digest.high) & (capacity - 1) }
    @inline(__always) private static func lowKey(_ digest: VaultDigest) -> UInt32 { UInt32(truncatingIfNeeded: digest.low >> 32) }

    /// Starts loading the slot where a probe for `digest` begins.
    @inline(__always) func prefetch(_ digest: VaultDigest) { seed_prefetch(slots + home(digest)) }

    subscript(digest: VaultDigest) -> VaultIndex.Stored? {
        let low = Self.lowKey(digest)
        var i = home(digest)
        while slots[i].tagged != 0 {
            if slots[i].high == digest.high && slots[i].low == low {
                let tagged = slots[i].tagged
                let realistic = tagged & Self.realisticFlag != 0 ? realistics[digest] : nil
                return VaultIndex.Stored(number: Int(tagged & ~Self.realisticFlag), realistic: realistic)
            }
            i = (i + 1) & (capacity - 1)
        }
        return nil
    }

    /// Stores `value` for `digest`; a value without a realistic surrogate keeps the one already stored.
    func set(_ value: VaultIndex.Stored, for digest: VaultDigest) {
        precondition(value.number > 0 && value.number < Int(Self.realisticFlag), "surrogate number out of range")
        if (count + 1) * 2 > capacity { grow() }
        var tagged = UInt32(value.number)
        if let r = value.realistic {
            realistics[digest] = r
            tagged |= Self.realisticFlag
        }
        let low = Self.lowKey(digest)
        var i = home(digest)
        while slots[i].tagged != 0 {
            if slots[i].high == digest.high && slots[i].low == low {
                slots[i].tagged = tagged | (slots[i].tagged & Self.realisticFlag)
                return
            }
            i = (i + 1) & (capacity - 1)
        }
        slots[i] = Slot(high: digest.high, low: low, tagged: tagged)
        count += 1
    }

    private func grow() {
        let old = (slots: slots, capacity: capacity, mapping: mapping)
        capacity *= 2
        mapping = Self.map(slotCount: capacity)
        slots = Self.slots(in: mapping)
        let mask = capacity - 1
        let ahead = 16
        for j in 0..<old.capacity {
            if j + ahead < old.capacity { seed_prefetch(slots + (Int(truncatingIfNeeded: old.slots[j + ahead].high) & mask)) }
            let slot = old.slots[j]
            guard slot.tagged != 0 else { continue }
            var i = Int(truncatingIfNeeded: slot.high) & mask
            while slots[i].tagged != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
        munmap(old.mapping.base, old.mapping.bytes)
    }

    /// A zeroed mapping for `slotCount` slots.
    private static func map(slotCount: Int) -> (base: UnsafeMutableRawPointer, bytes: Int) {
        let bytes = slotCount * MemoryLayout<Slot>.stride
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE | MAP_ANONYMOUS
        #endif
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0)
        guard let p, p != MAP_FAILED else { fatalError("the vault's index cannot map \(bytes) bytes: \(String(cString: strerror(errno)))") }
        return (p, bytes)
    }

    private static func slots(in mapping: (base: UnsafeMutableRawPointer, bytes: Int)) -> UnsafeMutablePointer<Slot> {
        mapping.base.bindMemory(to: Slot.self, capacity: mapping.bytes / MemoryLayout<Slot>.stride)
    }
}
