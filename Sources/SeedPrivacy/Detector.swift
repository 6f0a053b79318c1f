/// Finds personal data and secrets in text: the built-in single-pass scanner, then the policy's custom
/// recognizers, then the threshold and overlap resolution (a span contained in a longer one loses, as in
/// Presidio; of two equal spans the more confident wins).
public struct Detector: Sendable {
    public var threshold: Double
    public var disabled: Set<EntityType>
    public var custom: [CustomRecognizer]

    public init(threshold: Double = 0.5, disabled: Set<EntityType> = [], custom: [CustomRecognizer] = []) {
        self.threshold = threshold
        self.disabled = disabled
        self.custom = custom
    }

    public init(policy: PrivacyPolicy) {
        self.init(threshold: policy.threshold, disabled: policy.disabled, custom: policy.customRecognizers)
    }

    /// Detections in `text` (UTF-8 byte offsets), sorted and non-overlapping. `key` is the JSON key the text
    /// is the value of, if any: under a key such as `password` or `api_key` the whole value may be a secret.
    public func detect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>? = nil, scratch: inout DetectorScratch) -> [Detection] {
        guard let base = text.baseAddress, text.count > 0 else { return [] }
        var scanner = TextScanner(base, count: text.count, reusing: &scratch)
        scanner.scan()
        if let key, let kind = secretKeyKind(key) {
            var s = 0, e = text.count
            while s < e, isSpaceByte(base[s]) { s += 1 }
            while e > s, isSpaceByte(base[e - 1]) { e -= 1 }
            if e > s, !(s..<e).contains(where: { isSpaceByte(base[$0]) }), looksLikeSecretValue(base + s, e - s, kind: kind) {
                scanner.emit(s, e, .secret, 0.9)
            }
        }
        for recognizer in custom { recognizer.detect(text, into: &scanner.found) }
        let result = resolve(scanner.found)
        scanner.found.removeAll(keepingCapacity: true)
        scratch.keep(scanner)
        return result
    }

    /// Convenience for a String; offsets are in its UTF-8 view.
    public func detect(_ text: String) -> [Detection] {
        var scratch = DetectorScratch()
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { detect(UnsafeBufferPointer($0), scratch: &scratch) }
    }

    private func resolve(_ found: [Detection]) -> [Detection] {
        guard !found.isEmpty else { return [] }
        let candidates = found.filter { $0.confidence >= threshold && !disabled.contains($0.type) }
            .sorted { $0.start != $1.start ? $0.start < $1.start : $0.length > $1.length }
        var kept: [Detection] = []
        kept.reserveCapacity(candidates.count)
        for d in candidates {
            if let last = kept.last, d.start < last.end {
                if d.length > last.length || (d.length == last.length && d.confidence > last.confidence) {
                    kept[kept.count - 1] = d
                }
            } else {
                kept.append(d)
            }
        }
        return kept
    }
}

/// Buffers a detector reuses between calls, one per thread: scanning a short string then allocates nothing.
public struct DetectorScratch {
    var found: [Detection] = []
    var groupStart: [Int] = []
    var groupEnd: [Int] = []
    var groupOuterStart: [Int] = []
    var groupOuterEnd: [Int] = []
    var groupSeparator: [UInt8] = []
    var groupParenthesized: [Bool] = []
    var digits: [UInt8] = []

    public init() {}

    mutating func keep(_ scanner: TextScanner) {
        found = scanner.found
        groupStart = scanner.groupStart
        groupEnd = scanner.groupEnd
        groupOuterStart = scanner.groupOuterStart
        groupOuterEnd = scanner.groupOuterEnd
        groupSeparator = scanner.groupSeparator
        groupParenthesized = scanner.groupParenthesized
        digits = scanner.digitScratch
    }
}

extension TextScanner {
    init(_ p: UnsafePointer<UInt8>, count: Int, reusing scratch: inout DetectorScratch) {
        self.init(p, count: count)
        swap(&found, &scratch.found)
        swap(&groupStart, &scratch.groupStart)
        swap(&groupEnd, &scratch.groupEnd)
        swap(&groupOuterStart, &scratch.groupOuterStart)
        swap(&groupOuterEnd, &scratch.groupOuterEnd)
        swap(&groupSeparator, &scratch.groupSeparator)
        swap(&groupParenthesized, &scratch.groupParenthesized)
        swap(&digitScratch, &scratch.digits)
    }
}
