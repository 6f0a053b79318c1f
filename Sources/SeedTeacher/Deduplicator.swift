/// Near-duplicate filter of Self-Instruct: an instruction is rejected when its ROUGE-L F-measure with any
/// kept one exceeds the threshold. Exact ROUGE-L against every kept instruction is O(N²) (Alpaca needed a
/// process pool); a MinHash index over word sets (40 bands of 3 rows) picks the candidates first. Two
/// instructions with ROUGE-L above 0.7 share at least about 54 % of their words, and then share a band with
/// probability above 0.998.
struct Deduplicator {
    static let bands = 40
    static let rows = 3
    let threshold: Double
    private(set) var kept: [[String]] = []
    private var buckets: [Int: [Int]] = [:]

    init(threshold: Double) { self.threshold = threshold }

    /// Adds the text unless it is a near duplicate of one already kept; returns whether it was added.
    mutating func insert(_ text: String) -> Bool {
        let tokens = Self.tokens(text)
        let keys = Self.bandKeys(tokens)
        var checked = Set<Int>()
        for key in keys {
            for candidate in buckets[key] ?? [] where checked.insert(candidate).inserted {
                if Self.rougeL(tokens, kept[candidate]) > threshold { return false }
            }
        }
        for key in keys { buckets[key, default: []].append(kept.count) }
        kept.append(tokens)
        return true
    }

    /// Lowercased alphanumeric words, as rouge_score's default tokenizer makes them.
    static func tokens(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    static func rougeL(_ a: [String], _ b: [String]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var current = previous
        for x in a {
            for (j, y) in b.enumerated() { current[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], current[j]) }
            swap(&previous, &current)
        }
        let lcs = Double(previous[b.count])
        guard lcs > 0 else { return 0 }
        let p = lcs / Double(a.count), r = lcs / Double(b.count)
        return 2 * p * r / (p + r)
    }

    /// One key per band: the band's minimum hashes of the word set, combined.
    static func bandKeys(_ tokens: [String]) -> [Int] {
        let words = Set(tokens).map { fnv1a($0) }
        guard !words.isEmpty else { return [] }
        return (0..<bands).map { band in
            var key: UInt64 = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
            for row in 0..<rows {
                let salt = UInt64(band * rows + row + 1) &* 0xD6E8_FEB8_6659_FD93
                let minimum = words.map { mix($0 ^ salt) }.min()!
                key = mix(key ^ minimum)
            }
            return Int(truncatingIfNeeded: key)
        }
    }

    /// Stable across processes (Swift's Hasher is seeded per process).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
