import Foundation

/// The OpenAI Batch JSONL format, both ways: requests out (`custom_id` = request hash, so answers join back
/// whatever order they return in), answers in, straight into the cache and the ledger. A normal run then
/// replays them from the cache. vLLM's `run_batch` reads and writes the same files.
extension DistillJob {
    public struct BatchExport: Sendable {
        public var files: [String]
        public var requests: Int
        public var alreadyAnswered: Int
    }

    /// Writes the answer stage's unanswered requests to `directory` in shards of at most `maxLines` lines
    /// and `maxBytes` bytes (the Batch API's limits: 50,000 and 200 MB). With a self-instruct or evolve
    /// source, the prompts are made first (online), since the requests depend on them.
    public func exportBatch(directory: String, maxLines: Int = 50_000, maxBytes: Int = 200_000_000) async throws -> BatchExport {
        let items = try await plan()
        let field = try session(config.generate.teacher).config.maxTokensField
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TeacherError.io(path: directory, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        var export = BatchExport(files: [], requests: 0, alreadyAnswered: 0)
        var shard = Data()
        var lines = 0
        func flush() throws {
            guard lines > 0 else { return }
            let path = URL(fileURLWithPath: directory).appendingPathComponent(String(format: "batch-%05d.jsonl", export.files.count)).path
            guard FileManager.default.createFile(atPath: path, contents: shard) else { throw TeacherError.io(path: path, reason: "cannot write the shard") }
            export.files.append(path)
            shard = Data()
            lines = 0
        }
        var seen = Set<String>()
        for item in items where seen.insert(item.hash).inserted {
            if try await store.cached(item.hash) != nil {
                export.alreadyAnswered += 1
                continue
            }
            // The Batch API answers whole requests only: no streaming.
            let line: JSONValue = ["custom_id": .string(item.hash), "method": "POST", "url": .string("/v1" + item.request.endpoint.rawValue),
                                   "body": .object(item.request.body(for: field))]
            let bytes = Data((line.canonical + "\n").utf8)
            if lines > 0 && (lines + 1 > maxLines || shard.count + bytes.count > maxBytes) { try flush() }
            shard.append(bytes)
            lines += 1
            export.requests += 1
        }
        try flush()
        return export
    }

    public struct BatchImport: Sendable {
        public var answers = 0
        public var errors = 0
        /// Lines whose `custom_id` is no request of this job, or that were answered before.
        public var skipped = 0
        public var spentUSD = 0.0
    }

    /// Reads Batch API (or `run_batch`) output files into the cache and the ledger, charged at the batch prices.
    public func importBatch(files: [String]) async throws -> BatchImport {
        let items = try await plan()
        let wanted = Dictionary(items.map { ($0.hash, $0.request) }, uniquingKeysWith: { a, _ in a })
        let session = try session(config.generate.teacher)
        var result = BatchImport()
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw TeacherError.io(path: file, reason: "cannot read the batch output") }
            for (k, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
                guard let json = try? JSONValue.parse(Data(line)), let id = json["custom_id"]?.string else {
                    throw TeacherError.badInput(path: file, line: k + 1, reason: "expected a Batch API output line with custom_id")
                }
                guard let request = wanted[id], try await store.cached(id) == nil else {
                    result.skipped += 1
                    continue
                }
                let status = Int(json["response"]?["status_code"]?.int ?? 0)
                var entry = TeacherStore.LedgerEntry(
                    created: Timestamp.now(), teacher: session.config.name, requestedModel: session.config.model, servedModel: nil,
                    systemFingerprint: nil, host: session.client.host, requestSHA256: id, usage: nil, costNano: 0, latencyMs: nil,
                    status: "http \(status)", terms: session.config.terms.id, mode: "batch")
                guard status == 200, let body = json["response"]?["body"], let response = try? TeacherResponse(raw: body) else {
                    result.errors += 1
                    if let message = json["error"]?["message"]?.string { entry.status += " \(message)" }
                    try await store.record(entry, reservation: nil, chargedTokens: 0, cacheKey: nil, response: nil)
                    continue
                }
                entry.status = "ok"
                entry.servedModel = response.servedModel
                entry.systemFingerprint = response.systemFingerprint
                entry.usage = response.usage
                // An answer without usage is charged at its worst case, as an online one would be.
                let worst = request.worstCaseTokens
                let usage = response.usage ?? Usage(promptTokens: worst.prompt, completionTokens: worst.completion)
                entry.costNano = session.config.prices.nanoUSD(prompt: usage.promptTokens, completion: usage.completionTokens, batch: true)
                try await store.record(entry, reservation: nil, chargedTokens: Int64(usage.promptTokens + usage.completionTokens), cacheKey: id,
                                 response: body.canonicalData, budget: config.budget.name)
                result.answers += 1
                result.spentUSD += Double(entry.costNano) / 1e9
            }
        }
        return result
    }
}
