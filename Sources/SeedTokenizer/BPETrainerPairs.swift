/// Every pair of adjacent tokens seen during training, numbered in the order it first appeared, with its count
/// and the words it appeared in. A pair is looked up by its key, `left << 32 | right`, whose order is the
/// tie rule's order.
struct PairTable {
    private struct Slot {
        var key: UInt64
        var pair: Int32
    }

    private static let emptyKey = UInt64.max

    private var keys: [UInt64] = []
    /// Occurrences of each pair in the words as they stand now.
    var count: [Int] = []
    /// The words each pair was added in, ascending and without repeats, since words are visited in order.
    private var words: [[Int32]] = []
    /// Open addressing with linear probing from key to pair number.
    private var slots = [Slot](repeating: Slot(key: emptyKey, pair: 0), count: 1 << 12)
    private var shift = 64 - 12

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    func key(of pair: Int32) -> UInt64 { keys[Int(pair)] }
    func left(of pair: Int32) -> Int32 { Int32(truncatingIfNeeded: keys[Int(pair)] >> 32) }
    func right(of pair: Int32) -> Int32 { Int32(truncatingIfNeeded: keys[Int(pair)]) }
    func tokens(of pair: Int32) -> TokenPair { TokenPair(left: left(of: pair), right: right(of: pair)) }

    /// Adds `occurrences` of `(left, right)` found in `word`; returns the pair's number if this created the pair.
    @inline(__always)
    mutating func add(_ occurrences: Int, to left: Int32, _ right: Int32, in word: Int32) -> Int32? {
        let key = Self.key(left, right)
        var i = home(of: key)
        while slots[i].key != key {
            if slots[i].key == Self.emptyKey { return create(key, at: i, occurrences: occurrences, in: word) }
            i = (i + 1) & (slots.count - 1)
        }
        let pair = Int(slots[i].pair)
        count[pair] += occurrences
        if words[pair].last != word { words[pair].append(word) }
        return nil
    }

    /// Takes away `occurrences` of a pair that the words hold.
    @inline(__always)
    mutating func subtract(_ occurrences: Int, from left: Int32, _ right: Int32) {
        let key = Self.key(left, right)
        var i = home(of: key)
        while slots[i].key != key { i = (i + 1) & (slots.count - 1) }
        count[Int(slots[i].pair)] -= occurrences
    }

    /// The words that held the pair at some point, handing the list over since a merged pair needs it no more.
    mutating func takeWords(of pair: Int32) -> [Int32] {
        defer { words[Int(pair)] = [] }
        return words[Int(pair)]
    }

    /// Fibonacci hashing: the top bits of key × 2⁶⁴/φ spread the structured keys evenly.
    @inline(__always)
    private func home(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    private mutating func create(_ key: UInt64, at slot: Int, occurrences: Int, in word: Int32) -> Int32 {
        let pair = Int32(keys.count)
        slots[slot] = Slot(key: key, pair: pair)
        keys.append(key)
        count.append(occurrences)
        words.append([word])
        if 2 * keys.count > slots.count { growSlots() }
        return pair
    }

    private mutating func growSlots() {
        shift -= 1
        slots = [Slot](repeating: Slot(key: Self.emptyKey, pair: 0), count: 2 * slots.count)
        for (pair, key) in keys.enumerated() {
            var i = home(of: key)
            while slots[i].key != Self.emptyKey { i = (i + 1) & (slots.count - 1) }
            slots[i] = Slot(key: key, pair: Int32(pair))
        }
    }
}

/// A max-heap of pairs in merge order: the higher count first, then the smaller key. Entries may be stale (above
/// their pair's count); `MergeState` checks each one it pops.
struct PairHeap {
    struct Entry {
        var count: Int
        var key: UInt64
        var pair: Int32
    }

    private var entries: [Entry]

    init(entries: [Entry] = []) {
        self.entries = entries
        for i in stride(from: entries.count / 2 - 1, through: 0, by: -1) { siftDown(from: i) }
    }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(from: 0)
        }
        return first
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < entries.count && Self.precedes(entries[left], entries[first]) { first = left }
            if right < entries.count && Self.precedes(entries[right], entries[first]) { first = right }
            if first == parent { return }
            entries.swapAt(parent, first)
            parent = first
        }
    }

    @inline(__always)
    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.count > b.count || (a.count == b.count && a.key < b.key)
    }
}
