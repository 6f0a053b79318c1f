/// Detects and replaces, per the policy: the transform the stream runs on every worker.
struct DesensitizeTransform: TextTransform {
    let detector: Detector
    let policy: PrivacyPolicy
    let vault: Vault?
    let key: VaultKey?
    private var scratch = DetectorScratch()
    /// Surrogates this worker has already been given: most values repeat, and a hit needs no lock.
    private var cache: [Vault.CacheKey: [UInt8]] = [:]
    private let cacheLimit = 1 << 18
    private var redactions: [EntityType: [UInt8]] = [:]

    init(policy: PrivacyPolicy, vault: Vault?, key: VaultKey?) {
        detector = Detector(policy: policy)
        self.policy = policy
        self.vault = vault
        self.key = key
    }

    mutating func collect(_ text: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, into edits: inout EditList) {
        for d in detector.detect(text, key: key, scratch: &scratch) {
            edits.add(text, d.start, d.end, d.type)
        }
    }

    mutating func resolve(_ edits: inout EditList) throws {
        var requests: [Vault.Request] = []
        var requestIndex: [Vault.CacheKey: Int] = [:]
        var waiting: [(edit: Int, request: Int)] = []
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
            let cacheKey = Vault.CacheKey(type: type, value: edits.original(k))
            if let surrogate = cache[cacheKey] {
                edits.setReplacement(k, surrogate)
            } else if let r = requestIndex[cacheKey] {
                waiting.append((k, r))
            } else {
                requestIndex[cacheKey] = requests.count
                waiting.append((k, requests.count))
                requests.append(Vault.Request(type: type, original: cacheKey.value, realistic: policy.realistic))
            }
        }
        guard !requests.isEmpty else { return }
        guard let vault else { throw PrivacyError.vaultRequired }
        let surrogates = try vault.surrogates(for: requests)
        if cache.count + requests.count > cacheLimit { cache.removeAll() }
        for (r, surrogate) in zip(requests, surrogates) { cache[Vault.CacheKey(type: r.type, value: r.original)] = surrogate }
        for (k, r) in waiting { edits.setReplacement(k, surrogates[r]) }
    }
}

/// Desensitizes single texts and JSON records: the library entry point for callers that are not streams
/// (a chat prompt on its way to a teacher).
public final class Desensitizer {
    private let worker: BatchWorker<DesensitizeTransform>
    private let textWorker: BatchWorker<DesensitizeTransform>

    /// `vault` and `key` are needed when the policy pseudonymizes or hashes.
    public init(policy: PrivacyPolicy = PrivacyPolicy(), vault: Vault?, key: VaultKey?, fields: FieldSelector? = nil) throws {
        if policy.needsVault && vault == nil { throw PrivacyError.vaultRequired }
        if policy.needsKey && key == nil { throw PrivacyError.missingKey }
        let transform = DesensitizeTransform(policy: policy, vault: vault, key: key)
        worker = BatchWorker(transform: transform, format: .jsonl, selector: fields, onError: .stop)
        textWorker = BatchWorker(transform: transform, format: .text, selector: nil, onError: .stop)
    }

    public func desensitize(text: String) throws -> String {
        let bytes = Array(text.utf8)
        let result = try textWorker.process(LineBatch(bytes: bytes, lines: [0..<bytes.count], firstLineNumber: 1))
        return String(decoding: result.output, as: UTF8.self)
    }

    /// One JSON record (no newline); throws `PrivacyError.badLine` if it is not valid JSON.
    public func desensitize(jsonLine: String) throws -> String {
        let bytes = Array(jsonLine.utf8)
        let result = try worker.process(LineBatch(bytes: bytes, lines: [0..<bytes.count], firstLineNumber: 1))
        if let failure = result.failure { throw failure }
        return String(decoding: result.output.dropLast(), as: UTF8.self)
    }
}
