import Foundation

/// One committed batch of new vault entries: the row a write transaction appends. Storing a batch as one
/// row, with its originals sealed as one AES-GCM message, is what lets a stream add hundreds of thousands
/// of new values a second: a row and a seal per value cost more than detecting them.
///
/// `entries` is stored in clear (it holds only types, numbers, keyed digests and realistic surrogates,
/// which are fakes): every process reads it to learn which values the vault already holds. The originals,
/// concatenated in entry order, are sealed with `entries` as associated data, so that a tampered index
/// cannot open a block either.
struct VaultBlock {
    struct Entry: Equatable {
        var type: EntityType
        var number: Int
        var digest: VaultDigest
        var originalLength: Int
        /// The realistic surrogate, when one was asked for.
        var realistic: [UInt8]?
    }

    static let formatVersion: UInt8 = 1

    /// The entries in the stored layout: version, type names, then per entry its type index, number,
    /// digest, original length and realistic surrogate (little-endian, lengths before bytes).
    static func encode(_ entries: [Entry]) -> [UInt8] {
        var types: [EntityType] = []
        var typeOf: [Int] = []
        typeOf.reserveCapacity(entries.count)
        var size = 1 + 2 + 4
        for e in entries {
            // A block holds a handful of types: a search in a line beats hashing each entry's type.
            var t = types.firstIndex(of: e.type)
            if t == nil {
                t = types.count
                types.append(e.type)
                size += 1 + e.type.utf8.count
            }
            typeOf.append(t!)
            size += 2 + 4 + 16 + 4 + 2 + (e.realistic?.count ?? 0)
        }
        // Written in place: a block holds thousands of entries, and an append per byte showed in profiles.
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var w = LittleEndianWriter(p: buffer.baseAddress!)
            w.write(UInt64(formatVersion), 1)
            w.write(UInt64(types.count), 2)
            for t in types {
                w.write(UInt64(t.utf8.count), 1)
                w.write(t.utf8)
            }
            w.write(UInt64(entries.count), 4)
            for (e, t) in zip(entries, typeOf) {
                w.write(UInt64(t), 2)
                w.write(UInt64(e.number), 4)
                w.write(e.digest.high, 8)
                w.write(e.digest.low, 8)
                w.write(UInt64(e.originalLength), 4)
                w.write(UInt64(e.realistic?.count ?? 0), 2)
                if let r = e.realistic { w.write(r) }
            }
            precondition(w.p - buffer.baseAddress! == size, "vault block size miscounted")
            count = size
        }
    }

    private struct LittleEndianWriter {
        var p: UnsafeMutablePointer<UInt8>

        /// The low `bytes` bytes of `v`, least significant first.
        mutating func write(_ v: UInt64, _ bytes: Int) {
            withUnsafeBytes(of: v.littleEndian) { p.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes) }
            p += bytes
        }

        mutating func write(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { write($0) }
        }

        mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
            if let base = bytes.baseAddress { p.update(from: base, count: bytes.count) }
            p += bytes.count
        }
    }

    /// The entries of a stored block; nil if the bytes are not a block of this format.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [Entry]? {
        var r = Reader(bytes: bytes)
        guard r.read(1) == UInt64(formatVersion), let typeCount = r.read(2) else { return nil }
        var types: [EntityType] = []
        for _ in 0..<typeCount {
            guard let length = r.read(1), let name = r.bytes(Int(length)) else { return nil }
            types.append(EntityType(String(decoding: name, as: UTF8.self)))
        }
        guard let count = r.read(4) else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let t = r.read(2), Int(t) < types.count, let number = r.read(4), let high = r.read(8), let low = r.read(8),
                  let originalLength = r.read(4), let realisticLength = r.read(2), let realistic = r.bytes(Int(realisticLength)) else { return nil }
            entries.append(Entry(type: types[Int(t)], number: Int(number), digest: VaultDigest(high: high, low: low),
                                 originalLength: Int(originalLength), realistic: realisticLength > 0 ? Array(realistic) : nil))
        }
        return entries
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func read(_ count: Int) -> UInt64? {
            guard offset + count <= bytes.count else { return nil }
            var v: UInt64 = 0
            for k in 0..<count { v |= UInt64(bytes[offset + k]) << (8 * k) }
            offset += count
            return v
        }

        mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer.SubSequence? {
            guard offset + count <= bytes.count else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
    }
}

/// The first 128 bits of a value's keyed digest (HMAC-SHA256 of type and value): the vault's lookup key.
struct VaultDigest: Hashable {
    var high: UInt64
    var low: UInt64

    /// The digest is already uniformly random: half of it, with the table's seed, is a good hash.
    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: high ^ UInt64(UInt(bitPattern: seed))) }
}
