import ArgumentParser
import Foundation
import SeedTokenizer
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

    @Option(help: "`bytes` (one token per byte) or a folder holding tokenizer.json (from `seed tokenizer train`, or Hugging Face's).") var tokenizer = "bytes"
    @Option(parsing: .upToNextOption, help: "Text files or folders.") var input: [String] = []
    @Option(help: "Output folder for train.bin and val.bin (created if missing).") var out: String
    @Option(name: .customLong("val-fraction"), help: "Share of each file for validation, 0 ≤ F < 1.") var valFraction = 0.1

    func validate() throws {
        if input.isEmpty { throw ValidationError("give at least one --input file or folder") }
        if !(valFraction >= 0 && valFraction < 1) { throw ValidationError("--val-fraction must be at least 0 and below 1") }
    }

    func run() throws {
        try reportingErrors {
            let start = Date()
            let folder = try tokenizer == "bytes" ? nil : tokenizerFolder(tokenizer)
            let textTokenizer: any TextTokenizer = try folder.map { try Tokenizer.load($0) } ?? ByteTokenizer()
            let summary = try CorpusTokenizer.tokenize(
                inputs: input.map { URL(fileURLWithPath: $0) }, tokenizer: textTokenizer, tokenizerFolder: folder,
                outputDirectory: URL(fileURLWithPath: out), validationFraction: valFraction)
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "tokenized %d files (%.2f MB): %d train / %d val tokens in %.2f s", summary.files,
                         Double(summary.bytes) / 1e6, summary.trainTokens, summary.valTokens, seconds) + " -> \(out)")
        }
    }
}

/// The folder of a tokenizer given as its folder or as its tokenizer.json: the shards' folder gets a copy of
/// the files in it under their standard names.
func tokenizerFolder(_ path: String) throws -> URL {
    let url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CorpusTokenizerError.missingInput(path)
    }
    if isDirectory.boolValue { return url }
    guard url.lastPathComponent == "tokenizer.json" else {
        throw ValidationError("--tokenizer \(path): give `bytes`, or the folder that holds tokenizer.json")
    }
    return url.deletingLastPathComponent()
}
