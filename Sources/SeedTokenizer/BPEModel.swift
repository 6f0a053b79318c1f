/// The vocabulary and the ranked merges of a byte-level BPE model, and the merging of one piece.
public struct BPEModel: Sendable {
    /// The bytes of token `id` are `tokenBytes[tokenStarts[id]..<tokenStarts[id + 1]]`; ids missing from a
    /// vocabulary (tokenizer.json allows gaps) have no bytes.
    let tokenStarts: [Int32]
    let tokenBytes: [UInt8]
    /// The token of each single byte, or -1 when the vocabulary lacks it.
    let byteIds: [Int32]
    let mergeTable: MergeTable
    /// Merges in rank order, as tokenizer.json lists them.
    public let merges: [TokenPair]
    /// Hugging Face's `ignore_merges` (Llama 3): a piece that is itself a token becomes that token.
    public let ignoresMerges: Bool
    /// Stands in for bytes the vocabulary lacks; without it such bytes are dropped, as Hugging Face does.
    public let unknownId: Int32?
    private let idForBytes: [[UInt8]: Int32]

    /// `tokens[id]` holds the bytes of token `id` (nil for gaps); every merge's two parts and their
    /// concatenation must be tokens.
    public init(tokens: [[UInt8]?], merges: [TokenPair], ignoresMerges: Bool = false, unknownId: Int32? = nil) throws {
        var starts: [Int32] = [0]
        var arena: [UInt8] = []
        var byteIds = [Int32](repeating: -1, count: 256)
        var idForBytes: [[UInt8]: Int32] = [:]
        for (id, bytes) in tokens.enumerated() {
            if let bytes {
                arena.append(contentsOf: bytes)
                if bytes.count == 1, byteIds[Int(bytes[0])] < 0 { byteIds[Int(bytes[0])] = Int32(id) }
                if idForBytes[bytes] == nil { idForBytes[bytes] = Int32(id) }
            }
            starts.append(Int32(arena.count))
        }
        var table = MergeTable(capacity: merges.count)
        for (rank, pair) in merges.enumerated() {
            guard let left = tokens.indices.contains(Int(pair.left)) ? tokens[Int(pair.left)] : nil,
                  let right = tokens.indices.contains(Int(pair.right)) ? tokens[Int(pair.right)] : nil else {
                throw TokenizerError.badMerge(rank: rank, reason: "it joins an id that is not in the vocabulary")
            }
            guard let result = idForBytes[left + right] else {
                throw TokenizerError.badMerge(rank: rank, reason: "the joined token is not in the vocabulary")
            }
            table.insert(left: pair.left, right: pair.right, merge: .init(rank: Int32(rank), result: result))
        }
        self.tokenStarts = starts
        self.tokenBytes = arena
        self.byteIds = byteIds
        self.mergeTable = table
        self.merges = merges
        self.ignoresMerges = ignoresMerges
        self.unknownId = unknownId
        self.idForBytes = idForBytes
    }

    /// One more than the highest id.
    public var idCount: Int { tokenStarts.count - 1 }

    public func bytes(of id: Int32) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) < idCount else { return [] }
        return tokenBytes[Int(tokenStarts[Int(id)])..<Int(tokenStarts[Int(id) + 1])]
    }

    public func id(of bytes: [UInt8]) -> Int32? { idForBytes[bytes] }

    /// Appends the tokens of one pre-tokenized piece: its bytes, then merges, lowest rank first and leftmost
    /// first among equal ranks, until no adjacent pair has a merge.
    func encode(piece: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if ignoresMerges, piece.count > 1, let id = idForBytes[Array(piece)] {
            output.append(id)
            return
        }
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: piece.count) { symbols in
            var count = 0
            for byte in piece {
                let id = byteIds[Int(byte)]
                if id >= 0 {
                    symbols[count] = id
                    count += 1
                } else if let unknownId {
                    symbols[count] = unknownId
                    count += 1
                }
            }
            let merged = count <= 96
                ? mergeByScanning(symbols.baseAddress!, count: count)
                : mergeWithHeap(symbols.baseAddress!, count: count)
            output.append(contentsOf: UnsafeBufferPointer(start: symbols.baseAddress!, count: merged))
        }
    }

    /// Short pieces: rescanning a handful of pair ranks beats any bookkeeping. Returns the symbol count.
    private func mergeByScanning(_ symbols: UnsafeMutablePointer<Int32>, count: Int) -> Int {
        guard count > 1 else { return count }
        return withUnsafeTemporaryAllocation(of: MergeTable.Merge.self, capacity: count) { pairs in
            let none = MergeTable.Merge(rank: .max, result: -1)
            var count = count
            for i in 0..<count - 1 { pairs[i] = mergeTable.merge(symbols[i], symbols[i + 1]) ?? none }
            while count > 1 {
                var best = 0
                for i in 1..<count - 1 where pairs[i].rank < pairs[best].rank { best = i }
                guard pairs[best].rank != .max else { break }
                symbols[best] = pairs[best].result
                for i in (best + 1)..<(count - 1) {
                    symbols[i] = symbols[i + 1]
                    pairs[i] = pairs[i + 1]
                }
                count -= 1
                if best > 0 { pairs[best - 1] = mergeTable.merge(symbols[best - 1], symbols[best]) ?? none }
                if best < count - 1 { pairs[best] = mergeTable.merge(symbols[best], symbols[best + 1]) ?? none }
            }
            return count
        }
    }

    /// Long pieces (runs of spaces, unbroken scripts): a heap of candidate merges over a linked list keeps
    /// the cost near n log n. Entries are checked when popped, since a merge invalidates its neighbours.
    private func mergeWithHeap(_ symbols: UnsafeMutablePointer<Int32>, count: Int) -> Int {
        var next = [Int](unsafeUninitializedCapacity: count) { buffer, n in
            for i in 0..<count { buffer[i] = i + 1 }
            n = count
        }
        var previous = [Int](unsafeUninitializedCapacity: count) { buffer, n in
            for i in 0..<count { buffer[i] = i - 1 }
            n = count
        }
        var alive = [Bool](repeating: true, count: count)
        var heap = CandidateHeap()
        func consider(_ position: Int) {
            let after = next[position]
            guard after < count, let merge = mergeTable.merge(symbols[position], symbols[after]) else { return }
            heap.push(.init(rank: merge.rank, position: Int32(position), left: symbols[position], right: symbols[after]))
        }
        for i in 0..<count - 1 { consider(i) }
        while let candidate = heap.pop() {
            let position = Int(candidate.position)
            let after = next[position]
            guard alive[position], after < count, symbols[position] == candidate.left, symbols[after] == candidate.right,
                  let merge = mergeTable.merge(candidate.left, candidate.right) else { continue }
            symbols[position] = merge.result
            alive[after] = false
            next[position] = next[after]
            if next[after] < count { previous[next[after]] = position }
            if previous[position] >= 0 { consider(previous[position]) }
            consider(position)
        }
        var written = 0
        var i = 0
        while i < count {
            symbols[written] = symbols[i]
            written += 1
            i = next[i]
        }
        return written
    }
}

/// A min-heap of merge candidates ordered by rank, then position (leftmost first).
private struct CandidateHeap {
    struct Candidate {
        var rank: Int32
        var position: Int32
        var left: Int32
        var right: Int32

        @inline(__always) func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var items: [Candidate] = []

    mutating func push(_ candidate: Candidate) {
        items.append(candidate)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
            if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
            guard smallest != parent else { return top }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
