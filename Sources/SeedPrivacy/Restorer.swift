import Foundation

/// Puts originals back: numbered surrogates through the vault, realistic ones by exact text.
struct RestoreTransform: TextTransform {
    let vault: Vault
    let finder: SurrogateFinder
    let realistic: RealisticMatcher

    mutating func collect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, into edits: inout EditList) {
        var spans = finder.find(text).map { (start: $0.start, end: $0.end, type: $0.type, number: $0.number, original: [UInt8]?.none) }
        if !realistic.isEmpty {
            for m in realistic.find(text) where !spans.contains(where: { $0.start < m.end && m.start < $0.end }) {
                spans.append((m.start, m.end, m.entry.type, 0, m.entry.original))
            }
            spans.sort { $0.start < $1.start }
        }
        for s in spans {
            edits.add(text, s.start, s.end, s.type, number: s.number)
            if let original = s.original { edits.setReplacement(edits.count - 1, original) }
        }
    }

    mutating func resolve(_ edits: inout EditList) throws {
        let pending = (0..<edits.count).filter { !edits.edits[$0].resolved }
        guard !pending.isEmpty else { return }
        let originals = try vault.originals(for: pending.map { (edits.edits[$0].type, edits.edits[$0].number) })
        for (k, original) in zip(pending, originals) {
            if let original {
                edits.setReplacement(k, original)
            } else {
                edits.edits[k].unknown = true
                edits.keepOriginal(k)
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
    private var lengthsByPrefix: [UInt32: [Int]] = [:]
    private var surrogates: [[UInt8]] = []
    private var entries: [Vault.RealisticEntry] = []
    /// The first surrogate of each text hash; `nextWithHash` chains the rare ones whose hashes are equal.
    private var firstWithHash: [BytesHash: Int] = [:]
    private var nextWithHash: [Int] = []
    /// One bit per pair of first bytes that some surrogate has: most token starts of a text end here,
    /// before a dictionary lookup.
    private var firstTwoBytes = [UInt64](repeating: 0, count: 1024)

    var isEmpty: Bool { surrogates.isEmpty }

    init(_ all: [[UInt8]: Vault.RealisticEntry]) {
        surrogates.reserveCapacity(all.count)
        entries.reserveCapacity(all.count)
        nextWithHash.reserveCapacity(all.count)
        firstWithHash.reserveCapacity(all.count)
        for (surrogate, entry) in all where surrogate.count >= 4 {
            let k = surrogates.count
            surrogates.append(surrogate)
            entries.append(entry)
            let hash = surrogate.withUnsafeBytes { Self.hash($0) }
            nextWithHash.append(firstWithHash[hash] ?? -1)
            firstWithHash[hash] = k
            let pair = Int(surrogate[0]) << 8 | Int(surrogate[1])
            firstTwoBytes[pair >> 6] |= 1 << UInt64(pair & 63)
            let prefix = Self.prefix(surrogate, 0)
            if lengthsByPrefix[prefix]?.contains(surrogate.count) != true { lengthsByPrefix[prefix, default: []].append(surrogate.count) }
        }
        for key in lengthsByPrefix.keys { lengthsByPrefix[key]!.sort(by: >) }
    }

    private static func prefix(_ p: some RandomAccessCollection<UInt8>, _ i: Int) -> UInt32 {
        let s = p.index(p.startIndex, offsetBy: i)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(p[p.index(s, offsetBy: k)]) }
        return v
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> BytesHash { BytesHash(bytes, seed: 0x5EA1) }

    func find(_ text: UnsafeBufferPointer<UInt8>) -> [(start: Int, end: Int, entry: Vault.RealisticEntry)] {
        var found: [(start: Int, end: Int, entry: Vault.RealisticEntry)] = []
        var i = 0
        while i + 4 <= text.count {
            let pair = Int(text[i]) << 8 | Int(text[i + 1])
            if firstTwoBytes[pair >> 6] & (1 << UInt64(pair & 63)) != 0, i == 0 || !isAlnum(text[i - 1]),
               let lengths = lengthsByPrefix[Self.prefix(text, i)], let (length, k) = match(text, at: i, lengths) {
                found.append((i, i + length, entries[k]))
                i += length
                continue
            }
            i += 1
        }
        return found
    }

    /// The longest surrogate of one of `lengths` that the text holds at `i`, ending where a token may.
    private func match(_ text: UnsafeBufferPointer<UInt8>, at i: Int, _ lengths: [Int]) -> (Int, Int)? {
        for length in lengths where i + length <= text.count && (i + length == text.count || !isAlnum(text[i + length])) {
            let window = UnsafeRawBufferPointer(start: text.baseAddress! + i, count: length)
            var k = firstWithHash[Self.hash(window)] ?? -1
            while k >= 0 {
                let same = surrogates[k].count == length && surrogates[k].withUnsafeBytes { memcmp($0.baseAddress!, window.baseAddress!, length) == 0 }
                if same { return (length, k) }
                k = nextWithHash[k]
            }
        }
        return nil
    }
}

/// Restores single texts and JSON records (answers from a teacher).
public final class Restorer {
    private let worker: SingleRecordWorker<RestoreTransform>

    /// `types` are the surrogate types to look for (the built-in ones plus a policy's custom ones).
    public init(vault: Vault, types: [EntityType] = EntityType.builtIn, fields: FieldSelector? = nil) throws {
        let transform = RestoreTransform(vault: vault, finder: SurrogateFinder(types: types), realistic: RealisticMatcher(try vault.realisticSurrogates()))
        worker = SingleRecordWorker(transform: transform, fields: fields)
    }

    public func restore(text: String) throws -> String { try worker.process(text: text) }

    /// One JSON record (no newline); throws `PrivacyError.badLine` if it is not valid JSON.
    public func restore(jsonLine: String) throws -> String { try worker.process(jsonLine: jsonLine) }
}
