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

/// Exact-text search for the vault's realistic surrogates: candidates are indexed by their first four
/// bytes and tried, longest first, wherever a token may start.
struct RealisticMatcher: Sendable {
    private var byPrefix: [UInt32: [([UInt8], Vault.RealisticEntry)]] = [:]

    var isEmpty: Bool { byPrefix.isEmpty }

    init(_ surrogates: [[UInt8]: Vault.RealisticEntry]) {
        for (surrogate, original) in surrogates where surrogate.count >= 4 {
            byPrefix[Self.prefix(surrogate, 0), default: []].append((surrogate, original))
        }
        for key in byPrefix.keys { byPrefix[key]!.sort { $0.0.count > $1.0.count } }
    }

    private static func prefix(_ p: some RandomAccessCollection<UInt8>, _ i: Int) -> UInt32 {
        let s = p.index(p.startIndex, offsetBy: i)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(p[p.index(s, offsetBy: k)]) }
        return v
    }

    func find(_ text: UnsafeBufferPointer<UInt8>) -> [(start: Int, end: Int, entry: Vault.RealisticEntry)] {
        var found: [(Int, Int, Vault.RealisticEntry)] = []
        var i = 0
        while i + 4 <= text.count {
            if i == 0 || !isAlnum(text[i - 1]), let candidates = byPrefix[Self.prefix(text, i)] {
                if let (surrogate, original) = candidates.first(where: { c in
                    i + c.0.count <= text.count && (i + c.0.count == text.count || !isAlnum(text[i + c.0.count]))
                        && c.0.withUnsafeBufferPointer { memcmp($0.baseAddress!, text.baseAddress! + i, c.0.count) == 0 }
                }) {
                    found.append((i, i + surrogate.count, original))
                    i += surrogate.count
                    continue
                }
            }
            i += 1
        }
        return found.map { (start: $0.0, end: $0.1, entry: $0.2) }
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
