import Foundation

/// Remembers the ids of pieces already encoded. Natural text repeats a small set of words, so after the
/// first few kilobytes almost every piece is a hit and encoding costs a hash and a compare per piece.
/// Keys and values live in two arenas indexed by an open-addressing table; no allocation per entry.
/// The cache empties itself when it reaches its size limit, which bounds memory on any input.
struct PieceCache {
    private struct Entry {
        var hash: UInt64
        var keyStart: Int32
        var keyLength: Int32
        var valueStart: Int32
        var valueLength: Int32
    }

    private var entries: [Entry]
    private var keyBytes: [UInt8] = []
    private var values: [Int32] = []
    private var mask: Int
    private var count = 0
    private let maximumEntries: Int

    init(maximumEntries: Int = 1 << 18) {
        self.maximumEntries = maximumEntries
        let size = 1 << 12
        entries = [Entry](repeating: Entry(hash: 0, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: 0), count: size)
        mask = size - 1
    }

    /// Pieces longer than this are encoded every time: they are rare, and would fill the arenas.
    static let longestCachedPiece = 64

    @inline(__always) static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        if i < raw.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
        }
        return h &* 0xBF58_476D_1CE4_E5B9
    }

    /// Appends the cached ids of `piece` to `output` and returns true, or returns false on a miss.
    @inline(__always) func appendCached(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, to output: inout [Int32]) -> Bool {
        entries.withUnsafeBufferPointer { entries in
            var slot = Int(truncatingIfNeeded: hash >> 32) & mask
            while true {
                let entry = entries[slot]
                if entry.keyLength < 0 { return false }
                if entry.hash == hash, Int(entry.keyLength) == piece.count, keyMatches(entry, piece) {
                    values.withUnsafeBufferPointer { values in
                        let start = Int(entry.valueStart)
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: values[start..<start + Int(entry.valueLength)]))
                    }
                    return true
                }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always) private func keyMatches(_ entry: Entry, _ piece: UnsafeBufferPointer<UInt8>) -> Bool {
        keyBytes.withUnsafeBufferPointer { keys in
            memcmpEqual(keys.baseAddress! + Int(entry.keyStart), piece.baseAddress!, piece.count)
        }
    }

    mutating func insert(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int32>) {
        guard piece.count <= Self.longestCachedPiece else { return }
        if count >= maximumEntries { removeAll() }
        if (count + 1) * 4 > entries.count * 3 { grow() }
        let entry = Entry(hash: hash, keyStart: Int32(keyBytes.count), keyLength: Int32(piece.count),
                          valueStart: Int32(values.count), valueLength: Int32(ids.count))
        keyBytes.append(contentsOf: piece)
        values.append(contentsOf: ids)
        place(entry)
        count += 1
    }

    private mutating func place(_ entry: Entry) {
        var slot = Int(truncatingIfNeeded: entry.hash >> 32) & mask
        while entries[slot].keyLength >= 0 { slot = (slot + 1) & mask }
        entries[slot] = entry
    }

    private mutating func grow() {
        let old = entries
        entries = [Entry](repeating: Entry(hash: 0, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: 0), count: old.count * 2)
        mask = entries.count - 1
        for entry in old where entry.keyLength >= 0 { place(entry) }
    }

    private mutating func removeAll() {
        for i in entries.indices { entries[i].keyLength = -1 }
        keyBytes.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        count = 0
    }
}

/// Warm caches kept between calls, one per thread that encoded at the same time.
final class PieceCachePool: @unchecked Sendable {
    private let lock = NSLock()
    private var caches: [PieceCache] = []

    func take() -> PieceCache {
        lock.withLock { caches.popLast() } ?? PieceCache()
    }

    func give(_ cache: PieceCache) {
        lock.withLock { if caches.count < 16 { caches.append(cache) } }
    }
}

@inline(__always) func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
