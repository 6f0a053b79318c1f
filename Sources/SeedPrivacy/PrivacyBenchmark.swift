import Foundation

/// `seed bench desensitize`: labelled JSONL from the evaluation half of the corpus, scored for recall and
/// decoy survival, then pushed through the whole pipeline (parse, detect, pseudonymize into a fresh vault,
/// write) from file to file, timed; then restored and compared with the input.
public enum PrivacyBenchmark {
    public struct Result: Sendable {
        public var megabytes = 0.0
        public var records = 0
        public var entities = 0
        public var distinctValues = 0
        public var seconds = 0.0
        public var megabytesPerSecond = 0.0
        public var restoreMegabytesPerSecond = 0.0
        public var threads = 0
        public var realistic = false
        /// Redacted without a vault: the throughput of detection alone (no restore, no round trip).
        public var redacted = false
        public var recall: [String: CorpusEvaluation.Tally] = [:]
        public var hidden: [String: CorpusEvaluation.Tally] = [:]
        public var decoySurvival: [String: CorpusEvaluation.Tally] = [:]
        public var roundTripRecords = 0
        public var roundTripFailures = 0
        /// Round trips that gave back the input's very bytes (the others are equal as JSON values).
        public var roundTripByteIdentical = 0

        public var personRecall: Double { recall[EntityType.person.name]?.ratio ?? 0 }

        /// Lowest recall over the structured types (everything but PERSON).
        public var structuredRecall: Double {
            recall.filter { $0.key != EntityType.person.name }.map(\.value.ratio).min() ?? 0
        }

        public var json: String {
            func tallies(_ t: [String: CorpusEvaluation.Tally]) -> [String: Any] {
                Dictionary(uniqueKeysWithValues: t.map { ($0.key, ["ratio": ($0.value.ratio * 10000).rounded() / 10000, "hits": $0.value.hits, "total": $0.value.total]) })
            }
            let object: [String: Any] = [
                "name": "desensitize", "megabytes": megabytes, "records": records, "entities": entities, "distinct_values": distinctValues,
                "seconds": seconds, "mb_per_s": megabytesPerSecond, "restore_mb_per_s": restoreMegabytesPerSecond, "threads": threads,
                "realistic": realistic, "redacted": redacted, "recall": tallies(recall), "hidden": tallies(hidden), "decoy_survival": tallies(decoySurvival),
                "person_recall": personRecall, "min_structured_recall": structuredRecall,
                "round_trip_records": roundTripRecords, "round_trip_failures": roundTripFailures,
                "round_trip_byte_identical": roundTripByteIdentical,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    public static let evaluationSeed: UInt64 = 20_251_111

    /// Runs the benchmark on about `megabytes` MB of records in `directory` (created; files removed after
    /// unless `keepFiles`, so that the input can be profiled with `seed desensitize`).
    public static func run(megabytes: Double, seed: UInt64 = evaluationSeed, threads: Int, realistic: Bool, redact: Bool = false,
                           roundTripRecords: Int = 50_000, directory: URL, keepFiles: Bool = false) throws -> Result {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if !keepFiles { try? fm.removeItem(at: directory) } }
        let inputPath = directory.appendingPathComponent("input.jsonl").path
        let outputPath = directory.appendingPathComponent("desensitized.jsonl").path
        let restoredPath = directory.appendingPathComponent("restored.jsonl").path

        // Generate and score in one pass; the file is what gets timed.
        var generator = LabelledCorpusGenerator(seed: seed, split: .evaluation)
        var evaluation = CorpusEvaluation()
        let detector = Detector()
        var scratch = DetectorScratch()
        let target = Int(megabytes * 1e6)
        guard fm.createFile(atPath: inputPath, contents: nil), let handle = FileHandle(forWritingAtPath: inputPath) else {
            throw PrivacyError.io(path: inputPath, reason: "cannot create the benchmark input")
        }
        var written = 0, records = 0
        var buffer: [UInt8] = []
        while written < target {
            let record = generator.next()
            for text in record.texts {
                var bytes = Array(text.text.utf8)
                let detections = bytes.withUnsafeMutableBufferPointer { detector.detect(UnsafeBufferPointer($0), scratch: &scratch) }
                evaluation.add(text, detections: detections)
            }
            buffer.append(contentsOf: record.jsonLine.utf8)
            buffer.append(.newline)
            records += 1
            if buffer.count > 1 << 20 {
                handle.write(Data(buffer))
                written += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer))
        written += buffer.count
        // On disk before the clock starts: otherwise the kernel writes the fresh input back while the timed
        // run reads it, and that work lands on the same two cores.
        try handle.synchronize()
        try handle.close()

        var key = [UInt8](repeating: 0, count: 32)
        var rng = SplitMix(seed: seed ^ 0x5EED)
        for i in key.indices { key[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let vaultKey = try VaultKey(bytes: key)
        let vault = redact ? nil : try Vault(path: directory.appendingPathComponent("vault.sqlite").path, key: vaultKey)
        var policy = PrivacyPolicy()
        policy.realistic = realistic
        if redact { policy.defaultOperator = .redact }
        var options = StreamOptions()
        options.threads = threads
        let summary = try PrivacyStream.desensitize(.init(input: inputPath, output: outputPath), policy: policy, vault: vault, key: vaultKey, options: options)

        var result = Result()
        result.megabytes = Double(written) / 1e6
        result.records = summary.records
        result.entities = summary.counts.values.reduce(0, +)
        result.seconds = summary.seconds
        result.megabytesPerSecond = summary.megabytesPerSecond
        result.threads = threads
        result.realistic = realistic
        result.redacted = redact
        result.recall = evaluation.recall
        result.hidden = evaluation.hidden
        result.decoySurvival = evaluation.decoySurvival
        if let vault {
            let restoreSummary = try PrivacyStream.restore(.init(input: outputPath, output: restoredPath), vault: vault, options: options)
            result.distinctValues = try vault.count()
            result.restoreMegabytesPerSecond = restoreSummary.megabytesPerSecond
            let comparison = try compareRecords(inputPath, restoredPath, limit: roundTripRecords)
            (result.roundTripRecords, result.roundTripFailures, result.roundTripByteIdentical) = (comparison.compared, comparison.failures, comparison.byteIdentical)
        }
        return result
    }

    /// Compares the first `limit` records of two JSONL files: equal bytes, or equal JSON values. A restored
    /// original is escaped the way the rest of its line is; a line that shows no way (its only characters
    /// beyond ASCII were in the original) gets it raw, so `\u00e9` may come back as `é`.
    static func compareRecords(_ a: String, _ b: String, limit: Int) throws -> (compared: Int, failures: Int, byteIdentical: Int) {
        guard let left = FileManager.default.contents(atPath: a), let right = FileManager.default.contents(atPath: b) else {
            throw PrivacyError.io(path: b, reason: "cannot read the files to compare")
        }
        let l = left.split(separator: UInt8.newline, omittingEmptySubsequences: false)
        let r = right.split(separator: UInt8.newline, omittingEmptySubsequences: false)
        var compared = 0, failures = 0, byteIdentical = 0
        for (x, y) in zip(l, r).prefix(limit) where !x.isEmpty || !y.isEmpty {
            compared += 1
            if x.elementsEqual(y) {
                byteIdentical += 1
                continue
            }
            let vx = try? JSONSerialization.jsonObject(with: Data(x)) as? NSObject
            let vy = try? JSONSerialization.jsonObject(with: Data(y)) as? NSObject
            if vx == nil || vx != vy { failures += 1 }
        }
        if l.count != r.count { failures += abs(l.count - r.count) }
        return (compared, failures, byteIdentical)
    }
}
