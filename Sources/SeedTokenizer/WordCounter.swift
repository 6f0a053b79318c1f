import Dispatch
import Foundation

/// The unique pre-tokenized pieces ("words") of a corpus and how often each occurs: what BPE training needs,
/// since merges never cross a piece boundary. The order of the words is unspecified.
public struct WordCounts: Sendable {
    /// The bytes of every word back to back: word `i` is `bytes[starts[i] ..< starts[i + 1]]`.
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    private var occurrences: [Int] = []

    public init() {}

    /// Words counted some other way; words with a count below 1 are left out.
    public init(_ counts: [[UInt8]: Int]) {
        for (word, count) in counts where count > 0 {
            word.withUnsafeBufferPointer { append($0, count: count) }
        }
    }

    /// The number of unique words.
    public var count: Int { occurrences.count }

    /// The number of pieces in the corpus: the sum of all counts.
    public var totalOccurrences: Int { occurrences.reduce(0, +) }

    /// Calls `body` with the bytes and the count of every unique word.
    public func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int) -> Void) {
        bytes.withUnsafeBufferPointer { all in
            for i in occurrences.indices {
                body(UnsafeBufferPointer(rebasing: all[starts[i] ..< starts[i + 1]]), occurrences[i])
            }
        }
    }

    mutating func append(_ word: UnsafeBufferPointer<UInt8>, count: Int) {
        bytes.append(contentsOf: word)
        starts.append(bytes.count)
        occurrences.append(count)
    }

    mutating func reserveCapacity(words: Int, bytes byteCount: Int) {
        bytes.reserveCapacity(byteCount)
        starts.reserveCapacity(words + 1)
        occurrences.reserveCapacity(words)
    }
}

/// Counts the pieces that a `PreTokenizer` cuts a corpus into, on all cores, one text at a time, so that a
/// corpus bigger than memory can be counted file by file. Every text given to `add` is split on its own:
/// no piece spans two texts.
public struct WordCounter {
    public let pattern: SplitPattern
    /// One table per worker, merged only when `counts` is read, so that workers never share a table.
    private var tables: [PieceTable]
    /// Below this a text is not worth a second thread. A variable so that tests can exercise chunk cuts on small texts.
    var minimumChunkBytes = 1 << 14
    /// How much of a file `add(file:)` holds in memory at once.
    var fileBlockBytes = 16 << 20

    public init(pattern: SplitPattern, threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.pattern = pattern
        tables = (0 ..< max(1, threadCount)).map { _ in PieceTable() }
    }

    /// Splits `text` into pieces and counts them, on up to `threadCount` threads.
    public mutating func add(_ text: UnsafeBufferPointer<UInt8>) {
        makeTablesUnique()
        let chunks = TextCuts.cut(text, into: min(tables.count, max(1, text.count / minimumChunkBytes)))
        let preTokenizer = PreTokenizer(pattern: pattern)
        let tables = self.tables
        let countChunk = { (i: Int) in
            let chunk = UnsafeBufferPointer(rebasing: text[chunks[i]])
            let table = tables[i]
            preTokenizer.split(chunk) { piece in
                table.add(chunk.baseAddress! + piece.lowerBound, length: piece.count, count: 1)
            }
        }
        if chunks.count == 1 {
            countChunk(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks.count, execute: countChunk)
        }
    }

    /// Counts the pieces of a whole file, read in blocks of 16 MB cut where a cut cannot change the pieces.
    public mutating func add(file: URL) throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var block = [UInt8]()
        var atEnd = false
        while !atEnd {
            let data = try handle.read(upToCount: fileBlockBytes) ?? Data()
            atEnd = data.isEmpty
            block.append(contentsOf: data)
            // A block with no safe cut (see `TextCuts`) keeps growing until one appears.
            let end: Int? = atEnd ? block.count : block.withUnsafeBufferPointer { TextCuts.lastSafeCut(in: $0) }
            guard let end, end > 0 else { continue }
            block.withUnsafeBufferPointer { add(UnsafeBufferPointer(rebasing: $0[..<end])) }
            block.removeSubrange(..<end)
        }
    }

    /// The words counted so far.
    public var counts: WordCounts {
        let nonEmpty = tables.filter { $0.occupied > 0 }
        guard nonEmpty.count > 1 else { return nonEmpty.first?.wordCounts ?? WordCounts() }
        let merged = PieceTable(capacityFor: nonEmpty.reduce(0) { $0 + $1.occupied })
        for table in nonEmpty { table.forEach { merged.add($0, length: $1, count: $2) } }
        return merged.wordCounts
    }

    private mutating func makeTablesUnique() {
        for i in tables.indices where !isKnownUniquelyReferenced(&tables[i]) {
            tables[i] = tables[i].copy()
        }
    }
}

// MARK: - A hash table keyed on piece bytes

/// Open addressing with linear probing; the keys live back to back in one byte arena, so that counting a piece
/// that is already known allocates nothing. A class because it is a big mutable buffer that one worker fills.
final class PieceTable {
    struct Slot {
        var hash: UInt32
        var length: UInt32
        var start: Int
        /// 0 marks an empty slot: every stored piece has been counted at least once.
        var count: Int
    }

    private var slots: UnsafeMutableBufferPointer<Slot>
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private var arenaUsed = 0
    private(set) var occupied = 0

    init(capacityFor words: Int = 1024) {
        var capacity = 16
        while capacity < 2 * words { capacity *= 2 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, length: 0, start: 0, count: 0))
        arenaCapacity = 8 * capacity
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deallocate()
        arena.deallocate()
    }

    func copy() -> PieceTable {
        let other = PieceTable(capacityFor: occupied)
        forEach { other.add($0, length: $1, count: $2) }
        return other
    }

    @inline(__always)
    func add(_ piece: UnsafePointer<UInt8>, length: Int, count: Int) {
        let hash = UInt32(truncatingIfNeeded: Self.hash(piece, length))
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while slots[i].count != 0 {
            let slot = slots[i]
            if slot.hash == hash && Int(slot.length) == length && memcmp(arena + slot.start, piece, length) == 0 {
                slots[i].count += count
                return
            }
            i = (i + 1) & mask
        }
        if arenaUsed + length > arenaCapacity { growArena(toHold: arenaUsed + length) }
        (arena + arenaUsed).update(from: piece, count: length)
        slots[i] = Slot(hash: hash, length: UInt32(length), start: arenaUsed, count: count)
        arenaUsed += length
        occupied += 1
        if 2 * occupied > slots.count { growSlots() }
    }

    func forEach(_ body: (UnsafePointer<UInt8>, Int, Int) -> Void) {
        for slot in slots where slot.count != 0 { body(arena + slot.start, Int(slot.length), slot.count) }
    }

    var wordCounts: WordCounts {
        var counts = WordCounts()
        counts.reserveCapacity(words: occupied, bytes: arenaUsed)
        forEach { counts.append(UnsafeBufferPointer(start: $0, count: $1), count: $2) }
        return counts
    }

    private func growSlots() {
        let old = slots
        slots = .allocate(capacity: 2 * old.count)
        slots.initialize(repeating: Slot(hash: 0, length: 0, start: 0, count: 0))
        let mask = slots.count - 1
        for slot in old where slot.count != 0 {
            var i = Int(slot.hash) & mask
            while slots[i].count != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
        old.deallocate()
    }

    private func growArena(toHold needed: Int) {
        while arenaCapacity < needed { arenaCapacity *= 2 }
        let old = arena
        arena = .allocate(capacity: arenaCapacity)
        arena.update(from: old, count: arenaUsed)
        old.deallocate()
    }

    /// wyhash-style: whole 8-byte words folded through 128-bit multiplies; short pieces, the common case,
    /// take one or two unaligned loads and no loop.
    @inline(__always)
    static func hash(_ piece: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        let raw = UnsafeRawPointer(piece)
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(length)
        var i = 0
        while i + 8 < length {
            h = fold(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
            i += 8
        }
        let rest = length - i
        let tail: UInt64
        if rest >= 4 {
            tail = UInt64(raw.loadUnaligned(fromByteOffset: i, as: UInt32.self)) << 32
                | UInt64(raw.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self))
        } else if rest > 0 {
            tail = UInt64(piece[i]) << 16 | UInt64(piece[i + rest / 2]) << 8 | UInt64(piece[length - 1])
        } else {
            tail = 0
        }
        return fold(h ^ tail, 0xE703_7ED1_A0B4_28DB)
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
