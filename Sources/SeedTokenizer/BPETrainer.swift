/// Two adjacent tokens, the left one first; as a merge, the pair that becomes one new token.
public struct TokenPair: Hashable, Sendable, CustomStringConvertible {
    public var left: Int32
    public var right: Int32

    public init(left: Int32, right: Int32) {
        self.left = left
        self.right = right
    }

    public var description: String { "(\(left), \(right))" }
}

/// Learns byte-level BPE merges from word counts. Token ids 0...255 are the bytes; merge `i` (0-based, in the
/// order returned) makes token `256 + i`.
///
/// Each step merges the pair of adjacent tokens that occurs most often, counting every adjacent position in
/// every word (so `a a a` holds the pair `(a, a)` twice), times the word's count. Ties go to the smaller pair:
/// the smaller left id, then the smaller right id (HF tokenizers' rule, on Seed's ids). Inside a word a merge
/// replaces occurrences left to right without overlap (`a a a` → `aa a`), as encoding applies it. The result
/// depends only on the multiset of words, so it is the same for any thread count or word order.
public enum BPETrainer {
    /// Pairs seen once are not merged by default: such a token would occur once in the training text and its
    /// embedding would be trained on one example, and among the many pairs that tie at count 1 the order is
    /// decided by the tie rule alone, not by the data. Training stops early instead, leaving the vocabulary
    /// smaller than asked. (HF tokenizers' default, `min_frequency=0`, merges them; pass 1 to do the same.)
    public static let defaultMinimumFrequency = 2

    /// Learns up to `mergeCount` merges, fewer when no pair occurs at least `minimumFrequency` times (a minimum
    /// below 1 acts as 1).
    /// `progress(mergesDone, mergeCount)` is called each time another 1% of the merges is done, and at the end.
    public static func learnMerges(
        from words: WordCounts,
        mergeCount: Int,
        minimumFrequency: Int = defaultMinimumFrequency,
        progress: ((Int, Int) -> Void)? = nil
    ) -> [TokenPair] {
        guard mergeCount > 0 else { return [] }
        precondition(mergeCount <= Int(Int32.max) - 256, "too many merges for 32-bit token ids")
        var state = MergeState(words: words, minimumFrequency: max(1, minimumFrequency))
        var merges: [TokenPair] = []
        merges.reserveCapacity(mergeCount)
        var reported = 0
        while merges.count < mergeCount, let pair = state.mostFrequentPair() {
            merges.append(state.tokens(of: pair))
            state.merge(pair, into: Int32(256 + merges.count - 1))
            if merges.count * 100 / mergeCount > reported * 100 / mergeCount {
                progress?(merges.count, mergeCount)
                reported = merges.count
            }
        }
        if reported < merges.count { progress?(merges.count, mergeCount) }
        return merges
    }
}

/// The words as token sequences and the counts of all adjacent pairs, kept up to date merge by merge: a merge
/// rewrites only the words that hold its pair, and changes only the counts of the pairs next to each occurrence.
/// A pair is passed around by its number in `PairTable`.
struct MergeState {
    private struct Word {
        /// Where the word's tokens begin in `tokens`.
        var start: Int
        /// How many tokens it has now: a word shrinks in place as merges join its tokens.
        var length: Int
        /// How often it occurs in the corpus.
        var count: Int
    }

    /// The tokens of all words back to back.
    private var tokens: [Int32] = []
    private var words: [Word] = []

    private var pairs = PairTable()
    /// Counts of existing pairs only ever fall: every pair a merge creates holds the new token. So a heap entry
    /// is never below its pair's count, and a popped entry that is above it is pushed again with the true count.
    private var heap = PairHeap()
    private let minimumFrequency: Int
    /// The pairs created by the merge in progress, to be pushed onto the heap once their counts are final.
    private var createdPairs: [Int32] = []

    init(words counts: WordCounts, minimumFrequency: Int) {
        self.minimumFrequency = minimumFrequency
        words.reserveCapacity(counts.count)
        counts.forEach { bytes, count in
            words.append(Word(start: tokens.count, length: bytes.count, count: count))
            tokens.append(contentsOf: bytes.lazy.map { Int32($0) })
        }
        for (index, word) in words.enumerated() where word.length > 1 {
            for i in word.start ..< word.start + word.length - 1 {
                addOccurrences(of: tokens[i], tokens[i + 1], count: word.count, in: Int32(index))
            }
        }
        heap = PairHeap(entries: createdPairs.compactMap { heapEntry($0) })
        createdPairs.removeAll()
    }

    func tokens(of pair: Int32) -> TokenPair {
        pairs.tokens(of: pair)
    }

    /// The pair to merge next, nil when none occurs at least `minimumFrequency` times.
    mutating func mostFrequentPair() -> Int32? {
        while let top = heap.popFirst() {
            let count = pairs.count[Int(top.pair)]
            if count == top.count { return top.pair }
            if let entry = heapEntry(top.pair) { heap.push(entry) }
        }
        return nil
    }

    mutating func merge(_ pair: Int32, into newToken: Int32) {
        let (left, right) = (pairs.left(of: pair), pairs.right(of: pair))
        // Word lists grow in word order and never hold a word twice; some words may have lost the pair since.
        for word in pairs.takeWords(of: pair) {
            merge(left, right, into: newToken, inWord: Int(word))
        }
        pairs.count[Int(pair)] = 0
        for created in createdPairs {
            if let entry = heapEntry(created) { heap.push(entry) }
        }
        createdPairs.removeAll(keepingCapacity: true)
    }

    /// Rewrites one word, left to right, and moves the counts of the neighbouring pairs of each occurrence from
    /// the old tokens to the new one. In `x a b a b` the second occurrence sees `z` (already rewritten) on its
    /// left, so `(z, a)`, added by the first, is taken back and `(z, z)` added: the counts stay exact.
    private mutating func merge(_ left: Int32, _ right: Int32, into newToken: Int32, inWord index: Int) {
        let word = words[index]
        let start = word.start, end = start + word.length, count = word.count
        var read = start, write = start
        while read < end {
            if read + 1 < end && tokens[read] == left && tokens[read + 1] == right {
                if write > start {
                    let before = tokens[write - 1]
                    pairs.subtract(count, from: before, left)
                    addOccurrences(of: before, newToken, count: count, in: Int32(index))
                }
                if read + 2 < end {
                    let after = tokens[read + 2]
                    pairs.subtract(count, from: right, after)
                    addOccurrences(of: newToken, after, count: count, in: Int32(index))
                }
                tokens[write] = newToken
                read += 2
            } else {
                tokens[write] = tokens[read]
                read += 1
            }
            write += 1
        }
        words[index].length = write - start
    }

    private mutating func addOccurrences(of left: Int32, _ right: Int32, count: Int, in word: Int32) {
        if let created = pairs.add(count, to: left, right, in: word) { createdPairs.append(created) }
    }

    /// A pair below the minimum frequency never gets back onto the heap, since its count can only fall.
    private func heapEntry(_ pair: Int32) -> PairHeap.Entry? {
        let count = pairs.count[Int(pair)]
        guard count >= minimumFrequency else { return nil }
        return PairHeap.Entry(count: count, key: pairs.key(of: pair), pair: pair)
    }
}
