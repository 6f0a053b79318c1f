import Foundation

/// Every realistic surrogate of a vault with its original, in one buffer, and an index of the surrogates by
/// the hash of their text. Restore reads them all before its first line: built as a dictionary of arrays
/// (a surrogate array and an original array per value, hashed a byte at a time, then copied into the
/// matcher's own arrays and freed one by one at exit), this took 1.3 s and 200 MB of a 2.1 s restore
/// with a vault of 456,000 realistic values.
public final class RealisticTable: Sendable {
    struct Entry: Sendable {
        let type: EntityType
        /// The surrogate is `bytes[start..<start + surrogateLength]`; its original follows it.
        let start: Int
        let surrogateLength: Int
        let originalLength: Int

        var surrogate: Range<Int> { start..<(start + surrogateLength) }
        var original: Range<Int> { (start + surrogateLength)..<(start + surrogateLength + originalLength) }
    }

    /// What a vault collects, block by block, before the index is built.
    struct Builder {
        var bytes: [UInt8] = []
        var entries: [Entry] = []

        mutating func append(type: EntityType, surrogate: [UInt8], original: ArraySlice<UInt8>) {
            entries.append(Entry(type: type, start: bytes.count, surrogateLength: surrogate.count, originalLength: original.count))
            bytes.append(contentsOf: surrogate)
            bytes.append(contentsOf: original)
        }
    }

    let bytes: [UInt8]
    let entries: [Entry]
    /// Open addressing over entry numbers (-1 for an empty slot), probed linearly from the text's hash;
    /// `hashes[k]` is entry `k`'s, so that a probe compares bytes only when the hashes are equal.
    private let slots: [Int32]
    private let hashes: [UInt64]
    private let mask: Int

    public var count: Int { entries.count }

    init(_ builder: Builder) {
        bytes = builder.bytes
        entries = builder.entries
        precondition(entries.count < Int(Int32.max), "too many realistic surrogates for one table")
        var size = 16
        while size < 2 * entries.count { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        var hashes: [UInt64] = []
        hashes.reserveCapacity(entries.count)
        builder.bytes.withUnsafeBytes { b in
            for (k, e) in builder.entries.enumerated() {
                let h = Self.hash(UnsafeRawBufferPointer(rebasing: b[e.surrogate]))
                hashes.append(h)
                var i = Int(truncatingIfNeeded: h) & (size - 1)
                while slots[i] >= 0 { i = (i + 1) & (size - 1) }
                slots[i] = Int32(k)
            }
        }
        self.slots = slots
        self.hashes = hashes
        mask = size - 1
    }

    static func hash(_ text: UnsafeRawBufferPointer) -> UInt64 { fastHash(text, seed: 0x5EA1) }

    /// The entry whose surrogate is exactly `text` (`arena` is `bytes`, held by the caller for a whole scan).
    @inline(__always)
    func entry(of text: UnsafeRawBufferPointer, arena: UnsafeRawBufferPointer) -> Int? {
        let h = Self.hash(text)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            let k = Int(slots[i])
            let e = entries[k]
            if hashes[k] == h, e.surrogateLength == text.count, memcmp(arena.baseAddress! + e.start, text.baseAddress!, text.count) == 0 {
                return k
            }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Entry `k`'s original.
    func original(_ k: Int) -> ArraySlice<UInt8> { bytes[entries[k].original] }

    /// The type and original behind a realistic surrogate, or nil if the vault made no such surrogate.
    public func original(of surrogate: [UInt8]) -> Vault.RealisticEntry? {
        bytes.withUnsafeBytes { arena in
            surrogate.withUnsafeBytes { text in
                entry(of: text, arena: arena).map { Vault.RealisticEntry(type: entries[$0].type, original: Array(original($0))) }
            }
        }
    }
}

/// Exact-text search for the vault's realistic surrogates, wherever a token may start. The four bytes there
/// name the lengths that surrogates beginning with them have, tried longest first, and each length costs one
/// hash lookup of the text. (Comparing every surrogate with the same first four bytes, one after the other,
/// made restore quadratic in the vault: all fake IPv6 addresses begin `2001`, and a restore of 65 MB
/// compared tens of thousands of them at each one it met.)
struct RealisticMatcher: Sendable {
    let table: RealisticTable
    /// Per first four bytes, the lengths of the surrogates that begin with them: lengths 4 to 67 as bits
    /// (bit `length - 4`), longer ones (keys, tokens) in a list, longest first.
    private var shortLengths: [UInt32: UInt64] = [:]
    private var longLengths: [UInt32: [Int]] = [:]
    /// One bit per pair of first bytes that some surrogate has: most token starts of a text end here,
    /// before a dictionary lookup.
    private var firstTwoBytes = [UInt64](repeating: 0, count: 1024)
    private static let shortLimit = 68

    var isEmpty: Bool { table.count == 0 }

    init(_ table: RealisticTable) {
        self.table = table
        table.bytes.withUnsafeBufferPointer { b in
            for e in table.entries where e.surrogateLength >= 4 {
                let prefix = Self.prefix(b.baseAddress! + e.start)
                let pair = Int(b[e.start]) << 8 | Int(b[e.start + 1])
                firstTwoBytes[pair >> 6] |= 1 << UInt64(pair & 63)
                if e.surrogateLength < Self.shortLimit {
                    shortLengths[prefix, default: 0] |= 1 << UInt64(e.surrogateLength - 4)
                } else if longLengths[prefix]?.contains(e.surrogateLength) != true {
                    longLengths[prefix, default: []].append(e.surrogateLength)
                }
            }
        }
        for key in longLengths.keys { longLengths[key]!.sort(by: >) }
    }

    @inline(__always) private static func prefix(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }

    /// The surrogates found in `text`, left to right, each with its table entry.
    func find(_ text: UnsafeBufferPointer<UInt8>) -> [(start: Int, end: Int, entry: Int)] {
        var found: [(start: Int, end: Int, entry: Int)] = []
        guard let base = text.baseAddress else { return found }
        table.bytes.withUnsafeBytes { arena in
            var i = 0
            while i + 4 <= text.count {
                let pair = Int(text[i]) << 8 | Int(text[i + 1])
                if firstTwoBytes[pair >> 6] & (1 << UInt64(pair & 63)) != 0, i == 0 || !isAlnum(text[i - 1]),
                   let (length, k) = match(text, at: i, prefix: Self.prefix(base + i), arena) {
                    found.append((i, i + length, k))
                    i += length
                    continue
                }
                i += 1
            }
        }
        return found
    }

    /// The longest surrogate beginning with `prefix` that the text holds at `i`, ending where a token may.
    private func match(_ text: UnsafeBufferPointer<UInt8>, at i: Int, prefix: UInt32, _ arena: UnsafeRawBufferPointer) -> (Int, Int)? {
        func entry(_ length: Int) -> Int? {
            guard i + length <= text.count, i + length == text.count || !isAlnum(text[i + length]) else { return nil }
            return table.entry(of: UnsafeRawBufferPointer(start: text.baseAddress! + i, count: length), arena: arena)
        }
        if let long = longLengths[prefix] {
            for length in long { if let k = entry(length) { return (length, k) } }
        }
        guard var bits = shortLengths[prefix] else { return nil }
        while bits != 0 {
            let bit = 63 - bits.leadingZeroBitCount
            bits &= ~(1 << UInt64(bit))
            if let k = entry(bit + 4) { return (bit + 4, k) }
        }
        return nil
    }
}
