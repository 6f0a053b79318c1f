import Foundation
import SeedTokenizer

/// One figure of `seed bench tokenizer`, with the same figure of a peer measured in the same run.
public struct TokenizerBenchmarkResult: Codable, Sendable {
    public var name: String
    public var value: Double
    public var unit: String
    public var peer: String?
    public var peerValue: Double?
    /// How many times better Seed is (speed: Seed / peer; time: peer / Seed).
    public var advantage: Double?
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case name, value, unit, peer, peerValue = "peer_value", advantage, note
    }
}

/// Training and encoding speed of Seed's tokenizer on a corpus, beside Hugging Face `tokenizers` and
/// tiktoken (run by python3 in the same process tree, when installed). Times are medians of `repeats` runs,
/// Seed's and the peers' interleaved so that a busy neighbour slows both alike.
public struct TokenizerBenchmark {
    public var files: [URL]
    public var encodeVocabulary = 32768
    public var trainVocabulary = 8192
    public var pattern: SplitPattern = .gpt4
    public var repeats = 3
    public var withPeers = true

    public init(files: [URL]) { self.files = files }

    public func run(log: (String) -> Void = { _ in }) throws -> [TokenizerBenchmarkResult] {
        var text = Data()
        for file in files { text.append(try Data(contentsOf: file)) }
        let megabytes = Double(text.count) / 1e6
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seed-bench-tokenizer-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let corpusFile = scratch.appendingPathComponent("corpus.txt")
        try text.write(to: corpusFile)
        var results: [TokenizerBenchmarkResult] = []

        log("training a \(trainVocabulary)-id tokenizer on \(String(format: "%.1f", megabytes)) MB, \(repeats)× Seed and \(repeats)× Hugging Face")
        var seedTrain: [Double] = [], peerTrain: [Double] = []
        for _ in 0..<repeats {
            seedTrain.append(try time { _ = try Tokenizer.train(files: files, vocabularySize: trainVocabulary, pattern: pattern) })
            if withPeers, let seconds = TokenizerPeers.huggingFaceTrainingSeconds(corpus: corpusFile, vocabularySize: trainVocabulary,
                                                                               pattern: pattern) {
                peerTrain.append(seconds)
            }
        }
        results.append(compare("train \(trainVocabulary) ids", median(seedTrain), unit: "s", peer: "HF tokenizers",
                               median(peerTrain), lowerIsBetter: true))

        log("training the \(encodeVocabulary)-id tokenizer to encode with")
        var tokenizer: Tokenizer!
        let trainSeconds = try time {
            // Every pair counts, so that a corpus the size of Shakespeare's fills the whole vocabulary.
            tokenizer = try Tokenizer.train(files: files, vocabularySize: encodeVocabulary, pattern: pattern, minimumFrequency: 1)
        }
        results.append(.init(name: "train \(encodeVocabulary) ids", value: trainSeconds, unit: "s"))
        try tokenizer.save(to: scratch)

        log("encoding and decoding, \(repeats)× each")
        var ids: [Int32] = []
        var single: [Double] = [], parallel: [Double] = [], decode: [Double] = []
        text.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for _ in 0..<repeats {
                single.append(time {
                    var encoder = tokenizer.makeEncoder()
                    ids = encoder.encodeAll(bytes)
                })
                // A tokenizer keeps its caches warm between calls; each timed run starts from a fresh one,
                // as the single-threaded encoder does.
                let fresh = try! Tokenizer(tokenizerJSON: tokenizer.tokenizerJSON())
                parallel.append(time { ids = fresh.encodeInParallel(bytes) })
                decode.append(time { _ = tokenizer.decodeBytes(ids) })
            }
        }
        let peers = withPeers ? TokenizerPeers.encoding(tokenizerJSON: scratch.appendingPathComponent("tokenizer.json"),
                                                         corpus: corpusFile, pattern: pattern, repeats: repeats) : nil
        let same = peers.map { $0.tiktokenIds == ids ? "identical ids" : "DIFFERENT ids" }
        let sameHF = peers.map { $0.huggingFaceIds == ids ? "identical ids" : "DIFFERENT ids" }
        let rate = { (seconds: Double) in megabytes / seconds }
        results.append(compare("encode, 1 thread", rate(median(single)), unit: "MB/s", peer: "tiktoken 1 thread",
                               peers.map { megabytes / $0.tiktokenSeconds }, note: same))
        results.append(compare("encode, all cores", rate(median(parallel)), unit: "MB/s", peer: "tiktoken all cores",
                               peers.map { megabytes / $0.tiktokenBatchSeconds }, note: same))
        results.append(compare("encode vs Hugging Face", rate(median(parallel)), unit: "MB/s", peer: "HF tokenizers",
                               peers.map { megabytes / $0.huggingFaceSeconds }, note: sameHF))
        results.append(compare("decode", rate(median(decode)), unit: "MB/s", peer: "tiktoken",
                               peers.map { megabytes / $0.tiktokenDecodeSeconds }))
        results.append(.init(name: "compression", value: Double(text.count) / Double(ids.count), unit: "bytes/token",
                             note: "\(ids.count) tokens"))
        return results
    }

    private func compare(_ name: String, _ value: Double, unit: String, peer: String, _ peerValue: Double?,
                         lowerIsBetter: Bool = false, note: String? = nil) -> TokenizerBenchmarkResult {
        let advantage = peerValue.map { lowerIsBetter ? $0 / value : value / $0 }
        return .init(name: name, value: value, unit: unit, peer: peerValue == nil ? nil : peer, peerValue: peerValue,
                     advantage: advantage, note: note)
    }

    private func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    private func median(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.sorted()[values.count / 2]
    }

    private func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
