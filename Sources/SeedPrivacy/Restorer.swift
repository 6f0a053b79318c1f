import Foundation

/// Puts originals back: numbered surrogates through the vault, realistic ones by exact text.
struct RestoreTransform: TextTransform {
    let vault: Vault
    let finder: SurrogateFinder
    let realistic: RealisticMatcher

    mutating func collect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, into edits: inout EditList) {
        // `realistic` is the realistic table's entry, -1 for a numbered surrogate.
        var spans = finder.find(text).map { (start: $0.start, end: $0.end, type: $0.type, number: $0.number, realistic: -1) }
        if !realistic.isEmpty {
            let table = realistic.table
            for m in realistic.find(text) where !spans.contains(where: { $0.start < m.end && m.start < $0.end }) {
                spans.append((m.start, m.end, table.entries[m.entry].type, 0, m.entry))
            }
            spans.sort { $0.start < $1.start }
        }
        for s in spans {
            edits.add(text, s.start, s.end, s.type, number: s.number)
            if s.realistic >= 0 { edits.setReplacement(edits.count - 1, realistic.table.original(s.realistic)) }
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
