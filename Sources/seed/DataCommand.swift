import ArgumentParser
import Foundation
import SeedTrain

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Prepare training data.",
        subcommands: [DataTokenizeCommand.self]
    )
}

struct DataTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn text files into token shards (train.bin, val.bin) for `seed train`.",
        discussion: "Folders are walked recursively (hidden files skipped). The last --val-fraction of every "
            + "file, cut at a line break, goes to val.bin, so validation covers every text.")

    @Option(help: "Tokenizer: `bytes` (one token per byte).") var tokenizer = "bytes"
    @Option(parsing: .upToNextOption, help: "Text files or folders.") var input: [String] = []
    @Option(help: "Output folder for train.bin and val.bin (created if missing).") var out: String
    @Option(name: .customLong("val-fraction"), help: "Share of each file for validation, 0 ≤ F < 1.") var valFraction = 0.1

    func validate() throws {
        if input.isEmpty { throw ValidationError("give at least one --input file or folder") }
        if !(valFraction >= 0 && valFraction < 1) { throw ValidationError("--val-fraction must be at least 0 and below 1") }
    }

    func run() throws {
        try reportingErrors {
            guard tokenizer == "bytes" else { throw UnsupportedTokenizer(name: tokenizer) }
            let start = Date()
            let summary = try CorpusTokenizer.tokenize(
                inputs: input.map { URL(fileURLWithPath: $0) }, tokenizer: ByteTokenizer(),
                outputDirectory: URL(fileURLWithPath: out), validationFraction: valFraction)
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "tokenized %d files (%.2f MB): %d train / %d val tokens in %.2f s", summary.files,
                         Double(summary.bytes) / 1e6, summary.trainTokens, summary.valTokens, seconds) + " -> \(out)")
        }
    }
}

private struct UnsupportedTokenizer: Error, CustomStringConvertible {
    let name: String
    var description: String { "--tokenizer \(name): only `bytes` is supported yet (BPE tokenizer folders come later)" }
}
