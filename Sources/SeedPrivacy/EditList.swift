/// Replacements found in one batch: spans of the input, their originals and (once resolved) their new
/// text, in two flat byte arenas so that a batch of thousands of entities makes a handful of allocations.
struct EditList {
    struct Edit {
        /// The replaced span: relative to the scanned text while collecting, then absolute in the batch.
        var start: Int
        var end: Int
        var type: EntityType
        var originalStart: Int
        var originalEnd: Int
        var replacementStart = 0
        var replacementEnd = 0
        /// A surrogate number to look up (restore), 0 when none.
        var number = 0
        var resolved = false
        /// A surrogate the vault does not know (restore): left as it is and reported apart.
        var unknown = false
    }

    var edits: [Edit] = []
    var originals: [UInt8] = []
    var replacements: [UInt8] = []

    var count: Int { edits.count }

    mutating func removeAll() {
        edits.removeAll(keepingCapacity: true)
        originals.removeAll(keepingCapacity: true)
        replacements.removeAll(keepingCapacity: true)
    }

    mutating func truncate(to count: Int) {
        guard count < edits.count else { return }
        originals.removeSubrange(edits[count].originalStart...)
        edits.removeSubrange(count...)
    }

    /// Adds an edit of `text[start..<end]`, copying the original.
    mutating func add(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ type: EntityType, number: Int = 0) {
        let o = originals.count
        originals.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<end]))
        edits.append(Edit(start: start, end: end, type: type, originalStart: o, originalEnd: originals.count, number: number))
    }

    func original(_ k: Int) -> [UInt8] { Array(originals[edits[k].originalStart..<edits[k].originalEnd]) }

    mutating func setReplacement(_ k: Int, _ bytes: some Collection<UInt8>) {
        edits[k].replacementStart = replacements.count
        replacements.append(contentsOf: bytes)
        edits[k].replacementEnd = replacements.count
        edits[k].resolved = true
    }

    /// Sets `<TYPE_number>` as the replacement, written straight into the arena.
    mutating func setPlaceholder(_ k: Int, _ type: EntityType, _ number: Int) {
        edits[k].replacementStart = replacements.count
        appendPlaceholder(type, number, to: &replacements)
        edits[k].replacementEnd = replacements.count
        edits[k].resolved = true
    }

    /// Calls `body` with the original bytes of edit `k`, without copying them.
    func withOriginal<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        originals.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[edits[k].originalStart..<edits[k].originalEnd])) }
    }

    mutating func keepOriginal(_ k: Int) {
        let e = edits[k]
        edits[k].replacementStart = replacements.count
        replacements.append(contentsOf: originals[e.originalStart..<e.originalEnd])
        edits[k].replacementEnd = replacements.count
        edits[k].resolved = true
    }
}

/// What desensitizing and restoring share: find spans in a text, then (once per batch, so that the vault
/// sees one transaction per batch) decide what replaces them.
protocol TextTransform {
    /// Appends the spans of `text` to replace (offsets relative to `text`). `key` is the JSON key of the value.
    mutating func collect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, into edits: inout EditList)
    /// Gives every unresolved edit its replacement.
    mutating func resolve(_ edits: inout EditList) throws
}
