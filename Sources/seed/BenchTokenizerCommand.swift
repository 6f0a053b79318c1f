import ArgumentParser
import Foundation
import SeedTokenizer
import SeedTrain

struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Tokenizer training, encoding and decoding speed, beside Hugging Face tokenizers and tiktoken.",
        discussion: "The peers run through python3 when `tokenizers` and `tiktoken` are installed (pip install tokenizers tiktoken); "
            + "tiktoken gets an Encoding built from Seed's own vocabulary, so both encode with the same merges.")

    @Option(parsing: .upToNextOption, help: "Corpus files or folders (default: ../shared/data/shakespeare, else the bundled sample).")
    var corpus: [String] = []
    @Option(name: .customLong("vocab-size"), help: "Vocabulary to encode with.") var vocabSize = 32768
    @Option(name: .customLong("train-vocab-size"), help: "Vocabulary to time training on.") var trainVocabSize = 8192
    @Option(help: "Split pattern.") var pattern: SplitPattern = .gpt4
    @Option(help: "Runs per figure (the median is reported).") var repeats = 3
    @Flag(name: .customLong("no-peers"), help: "Skip Hugging Face and tiktoken.") var noPeers = false
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false

    func run() throws {
        try reportingErrors {
            var benchmark = TokenizerBenchmark(files: try corpusFiles())
            benchmark.encodeVocabulary = vocabSize
            benchmark.trainVocabulary = trainVocabSize
            benchmark.pattern = pattern
            benchmark.repeats = max(1, repeats)
            benchmark.withPeers = !noPeers
            let results = try benchmark.run { printError($0) }
            for result in results {
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(result), as: UTF8.self))
                    continue
                }
                var line = result.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(format: "%9.2f %-12@", result.value, result.unit)
                if let peer = result.peer, let value = result.peerValue, let advantage = result.advantage {
                    line += String(format: "  %@ %.2f  (Seed ×%.2f)", peer, value, advantage)
                }
                if let note = result.note { line += "  [\(note)]" }
                print(line)
            }
        }
    }

    private func corpusFiles() throws -> [URL] {
        if !corpus.isEmpty { return try CorpusTokenizer.listFiles(corpus.map { URL(fileURLWithPath: $0) }) }
        let shared = URL(fileURLWithPath: "../shared/data/shakespeare")
        if FileManager.default.fileExists(atPath: shared.path) {
            return try CorpusTokenizer.listFiles([shared]).filter { $0.pathExtension == "txt" }
        }
        guard let sample = Bundle.module.url(forResource: "sample", withExtension: nil) else {
            throw ValidationError("give --corpus: the sample corpus is missing from this build of seed")
        }
        return try CorpusTokenizer.listFiles([sample]).filter { $0.pathExtension == "txt" }
    }
}
