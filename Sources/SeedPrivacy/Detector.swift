import Foundation

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
        var result: [Detection] = []
        detect(text, key: key, scratch: &scratch) { result.append($0) }
        return result
    }

    /// Convenience for a String; offsets are in its UTF-8 view.
    public func detect(_ text: String) -> [Detection] {
        var scratch = DetectorScratch()
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { detect(UnsafeBufferPointer($0), scratch: &scratch) }
    }

    /// The detections, in order, handed to `body`: the streaming path, which allocates nothing per text.
    func detect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, scratch: inout DetectorScratch,
                _ body: (Detection) -> Void) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        var scanner = TextScanner(base, count: text.count, scratch: &scratch)
        scanner.scan()
        if let key, let kind = scanner.scratch.secretKeyKind(key) {
            var s = 0, e = text.count
            while s < e, isSpaceByte(base[s]) { s += 1 }
            while e > s, isSpaceByte(base[e - 1]) { e -= 1 }
            if e > s, !(s..<e).contains(where: { isSpaceByte(base[$0]) }), looksLikeSecretValue(base + s, e - s, kind: kind) {
                scanner.emit(s, e, .secret, 0.9)
            }
        }
        for recognizer in custom { recognizer.detect(text, into: &scanner.scratch.found) }
        swap(&scanner.scratch, &scratch)
        resolve(&scratch.found)
        for d in scratch.found { body(d) }
    }

    /// Keeps, in place, the detections above the threshold and of enabled types, sorted, without overlaps.
    private func resolve(_ found: inout [Detection]) {
        guard !found.isEmpty else { return }
        found.removeAll { $0.confidence < threshold || (!disabled.isEmpty && disabled.contains($0.type)) }
        found.sort { $0.start != $1.start ? $0.start < $1.start : $0.length > $1.length }
        var kept = 0
        for k in found.indices {
            let d = found[k]
            if kept > 0, d.start < found[kept - 1].end {
                let last = found[kept - 1]
                if d.length > last.length || (d.length == last.length && d.confidence > last.confidence) { found[kept - 1] = d }
            } else {
                found[kept] = d
                kept += 1
            }
        }
        found.removeLast(found.count - kept)
    }
}

/// Buffers a detector reuses between calls, one per thread: scanning a short string then allocates nothing.
/// The scanner works in them directly (it takes them for the length of a scan).
public struct DetectorScratch {
    var found: [Detection] = []
    /// Digit groups of the current number chunk (see RecognizerNumbers.swift): the first `groupCount` of
    /// `DigitGroup.maximumCount` slots, made at the first number and overwritten in place for each chunk
    /// (an empty-and-append per number showed in profiles). Empty until then: a scanner is made for every
    /// string value, with a scratch of its own until it takes the caller's.
    var groups: [DigitGroup] = []
    var groupCount = 0
    var digits: [UInt8] = []
    /// The secret kinds of the JSON keys seen last: a record's keys repeat on every line.
    private var keyKinds: [(key: [UInt8], kind: SecretKeyKind?)] = []

    public init() {}

    mutating func secretKeyKind(_ key: UnsafeBufferPointer<UInt8>) -> SecretKeyKind? {
        guard key.count >= 2 else { return nil }
        for (known, kind) in keyKinds where known.count == key.count && known.withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) {
            return kind
        }
        let kind = SeedPrivacy.secretKeyKind(key)
        if keyKinds.count == 16 { keyKinds.removeFirst() }
        keyKinds.append((Array(key), kind))
        return kind
    }
}
