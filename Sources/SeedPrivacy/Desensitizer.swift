/// Detects and replaces, per the policy: the transform the stream runs on every worker.
struct DesensitizeTransform: TextTransform {
    let detector: Detector
    let policy: PrivacyPolicy
    let vault: Vault?
    let key: VaultKey?
    private var scratch = DetectorScratch()
    private var redactions: [EntityType: [UInt8]] = [:]
    // Per-batch buffers of `resolve`, kept for their storage.
    private var pending: [Int] = []
    private var digests: [VaultDigest] = []
    private var stored: [VaultIndex.Stored?] = []

    init(policy: PrivacyPolicy, vault: Vault?, key: VaultKey?) {
        detector = Detector(policy: policy)
        self.policy = policy
        self.vault = vault
        self.key = key
    }

    mutating func collect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, into edits: inout EditList) {
        detector.detect(text, key: key, scratch: &scratch) { edits.add(text, $0.start, $0.end, $0.type) }
    }

    /// Pseudonymized values are looked up in the vault by digest, all of a batch under one lock; only the
    /// values it lacks are copied out and added, in one transaction.
    mutating func resolve(_ edits: inout EditList) throws {
        pending.removeAll(keepingCapacity: true)
        digests.removeAll(keepingCapacity: true)
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
            guard let vault else { throw PrivacyError.vaultRequired }
            pending.append(k)
            digests.append(edits.withOriginal(k) { vault.key.shortDigest(type: type, value: $0) })
        }
        guard let vault, !pending.isEmpty else { return }
        stored.removeAll(keepingCapacity: true)
        stored.append(contentsOf: repeatElement(nil, count: pending.count))
        let generation = vault.lookUp(digests, into: &stored)
        // A value repeated within the batch is asked for twice; the vault adds it once.
        let missing = pending.indices.filter { stored[$0]?.serves(realistic: policy.realistic) != true }
        let requests = missing.map {
            (Vault.Request(type: edits.edits[pending[$0]].type, original: edits.original(pending[$0]), realistic: policy.realistic), digests[$0], stored[$0])
        }
        for (m, s) in zip(missing, try vault.add(requests, asOf: generation)) { stored[m] = s }
        for (m, k) in pending.enumerated() {
            let s = stored[m]!
            if policy.realistic, let realistic = s.realistic {
                edits.setReplacement(k, realistic)
            } else {
                edits.setPlaceholder(k, edits.edits[k].type, s.number)
            }
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
