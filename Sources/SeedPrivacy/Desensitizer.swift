/// Detects and replaces, per the policy: the transform the stream runs on every worker.
struct DesensitizeTransform: TextTransform {
    let detector: Detector
    let policy: PrivacyPolicy
    let vault: Vault?
    let key: VaultKey?
    private var scratch = DetectorScratch()
    private var redactions: [EntityType: [UInt8]] = [:]
    // Per-batch buffers of `resolve`, kept for their storage.
    /// The edits to pseudonymize, their digests, and for each the index of its value in `digests`.
    fileprivate var pending: [Int] = []
    fileprivate var pendingDigests: [VaultDigest] = []
    private var valueOf: [Int] = []
    /// The batch's distinct values: digest, and the first edit that holds it.
    private var digests: [VaultDigest] = []
    private var firstEdit: [Int] = []
    private var distinct = DistinctDigests()

    init(policy: PrivacyPolicy, vault: Vault?, key: VaultKey?) {
        detector = Detector(policy: policy)
        self.policy = policy
        self.vault = vault
        self.key = key
    }

    mutating func collect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, into edits: inout EditList) {
        detector.detect(text, key: key, scratch: &scratch) { edits.add(text, $0.start, $0.end, $0.type) }
    }

    /// Pseudonymized values go to the vault by digest, each distinct value of the batch once (see
    /// `Vault.stored`), their originals read from the edit list's arena.
    mutating func resolve(_ edits: inout EditList) throws {
        pending.removeAll(keepingCapacity: true)
        valueOf.removeAll(keepingCapacity: true)
        digests.removeAll(keepingCapacity: true)
        firstEdit.removeAll(keepingCapacity: true)
        distinct.reset(expected: edits.count)
        for k in 0..<edits.count where !edits.edits[k].resolved {
            let type = edits.edits[k].type
            let op = policy.operatorFor(type)
            guard op == .pseudonymize else {
                if op == .redact {
                    if redactions[type] == nil { redactions[type] = op.apply(to: [], type: type, key: nil) }
                    edits.setReplacement(k, redactions[type]!)
                } else {
                    edits.setReplacement(k, op.apply(to: edits.original(k), type: type, key: self.key))
                }
                continue
            }
            guard vault != nil else { throw PrivacyError.vaultRequired }
            pending.append(k)
        }
        guard let vault, !pending.isEmpty else { return }
        computeDigests(edits, key: vault.key)
        for (m, k) in pending.enumerated() {
            let u = distinct.index(of: pendingDigests[m], in: &digests)
            if u == firstEdit.count { firstEdit.append(k) }
            valueOf.append(u)
        }
        let realistic = policy.realistic
        let values = digests.indices.map { u in
            let e = edits.edits[firstEdit[u]]
            return Vault.NewValue(type: e.type, digest: digests[u], original: e.originalStart..<e.originalEnd, realistic: realistic)
        }
        let stored = try edits.originals.withUnsafeBufferPointer { try vault.stored(values, originals: $0) }
        for (m, k) in pending.enumerated() {
            let s = stored[valueOf[m]]!
            if realistic, let text = s.realistic {
                edits.setReplacement(k, text)
            } else {
                edits.setPlaceholder(k, edits.edits[k].type, s.number)
            }
        }
    }
}

extension DesensitizeTransform {
    /// The digest of every pending edit, two at a time (see `KeyedDigest.macPair`).
    fileprivate mutating func computeDigests(_ edits: EditList, key: VaultKey) {
        pendingDigests.removeAll(keepingCapacity: true)
        edits.originals.withUnsafeBufferPointer { originals in
            func edit(_ m: Int) -> (type: EntityType, value: UnsafeBufferPointer<UInt8>) {
                let e = edits.edits[pending[m]]
                return (e.type, UnsafeBufferPointer(rebasing: originals[e.originalStart..<e.originalEnd]))
            }
            var m = 0
            while m + 1 < pending.count {
                let (a, b) = key.shortDigests(edit(m), edit(m + 1))
                pendingDigests.append(a)
                pendingDigests.append(b)
                m += 2
            }
            if m < pending.count {
                let e = edit(m)
                pendingDigests.append(key.shortDigest(type: e.type, value: e.value))
            }
        }
    }
}

/// The distinct digests of one batch: an open-addressing set of indices into the batch's digest list,
/// reused from batch to batch (the vault takes each value once).
struct DistinctDigests {
    private var slots: [Int32] = []
    private var mask = 0

    /// Empties the set, sized for up to `expected` digests.
    mutating func reset(expected: Int) {
        var size = 64
        while size < 2 * expected { size *= 2 }
        if slots.count == size {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        } else {
            slots = [Int32](repeating: -1, count: size)
        }
        mask = size - 1
    }

    /// The index of `digest` in `list`, appended to it if it is new.
    mutating func index(of digest: VaultDigest, in list: inout [VaultDigest]) -> Int {
        var i = Int(truncatingIfNeeded: digest.low) & mask
        while true {
            let s = Int(slots[i])
            if s < 0 {
                slots[i] = Int32(list.count)
                list.append(digest)
                return list.count - 1
            }
            if list[s] == digest { return s }
            i = (i + 1) & mask
        }
    }
}

/// Desensitizes single texts and JSON records: the library entry point for callers that are not streams
/// (a chat prompt on its way to a teacher).
public final class Desensitizer {
    private let worker: SingleRecordWorker<DesensitizeTransform>

    /// `vault` and `key` are needed when the policy pseudonymizes or hashes.
    public init(policy: PrivacyPolicy = PrivacyPolicy(), vault: Vault?, key: VaultKey?, fields: FieldSelector? = nil) throws {
        if policy.needsVault && vault == nil { throw PrivacyError.vaultRequired }
        if policy.needsKey && key == nil { throw PrivacyError.missingKey }
        worker = SingleRecordWorker(transform: DesensitizeTransform(policy: policy, vault: vault, key: key), fields: fields)
    }

    public func desensitize(text: String) throws -> String { try worker.process(text: text) }

    /// One JSON record (no newline); throws `PrivacyError.badLine` if it is not valid JSON.
    public func desensitize(jsonLine: String) throws -> String { try worker.process(jsonLine: jsonLine) }
}
