import ArgumentParser
import Foundation
import SeedTokenizer
import SeedTrain

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train byte-level BPE tokenizers and encode or decode text with them.",
        subcommands: [TokenizerTrainCommand.self, TokenizerEncodeCommand.self, TokenizerDecodeCommand.self])
}

extension SplitPattern: ExpressibleByArgument {}

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a byte-level BPE tokenizer from text files; writes DIR/tokenizer.json (Hugging Face format).",
        discussion: "Ids 0-255 are the bytes, then the merges in the order learned, then the special tokens. "
            + "Folders are walked recursively (hidden files skipped).")

    @Option(parsing: .upToNextOption, help: "Text files or folders.") var input: [String] = []
    @Option(name: .customLong("vocab-size"), help: "Ids in all: 256 bytes, the merges and the special tokens.") var vocabSize: Int
    @Option(help: "Split pattern: gpt2 (GPT-2) or gpt4 (cl100k, as Llama 3).") var pattern: SplitPattern = .gpt4
    @Option(parsing: .upToNextOption, help: "Special tokens (default: <|endoftext|> <|im_start|> <|im_end|>).") var special: [String] = []
    @Option(name: .customLong("min-frequency"), help: "Pairs seen fewer times are never merged.") var minFrequency = BPETrainer.defaultMinimumFrequency
    @Option(help: "Output folder (created if missing).") var out: String

    func validate() throws {
        if input.isEmpty { throw ValidationError("give at least one --input file or folder") }
        if minFrequency < 1 { throw ValidationError("--min-frequency must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let start = Date()
            let files = try CorpusTokenizer.listFiles(input.map { URL(fileURLWithPath: $0) })
            let line = ProgressLine()
            let tokenizer = try Tokenizer.train(
                files: files, vocabularySize: vocabSize, pattern: pattern,
                specialTokens: special.isEmpty ? Tokenizer.defaultSpecialTokens : special,
                minimumFrequency: minFrequency) { progress in
                switch progress {
                case .counting(let done, let total):
                    line.show("counting words: \(done / 1_000_000)/\(total / 1_000_000) MB", fraction: Double(done) / Double(max(total, 1)))
                case .merging(let done, let total):
                    line.show("learning merges: \(done)/\(total)", fraction: Double(done) / Double(max(total, 1)))
                }
            }
            line.finish()
            try tokenizer.save(to: URL(fileURLWithPath: out))
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "trained a %d-id tokenizer (%d merges, %d special tokens) on %d files in %.2f s -> %@/tokenizer.json",
                         tokenizer.vocabularySize, tokenizer.model.merges.count, tokenizer.specialTokens.count, files.count,
                         seconds, out))
            if tokenizer.vocabularySize < vocabSize {
                printError("note: the corpus ran out of pairs seen at least \(minFrequency) times; the vocabulary has \(tokenizer.vocabularySize) of the \(vocabSize) ids asked for")
            }
        }
    }
}

struct TokenizerEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "Print the token ids of a text, separated by spaces.")

    @Option(help: "Folder holding tokenizer.json (a run folder works too).") var tokenizer: String
    @Option(help: "Text file to encode (default: standard input).") var input: String?
    @Flag(help: "Print only the number of tokens.") var count = false
    @Flag(name: .customLong("allow-special"), help: "Turn special-token text such as <|endoftext|> into its id.") var allowSpecial = false

    func run() throws {
        try reportingErrors {
            let loaded = try Tokenizer.load(URL(fileURLWithPath: tokenizer))
            let text = try readInput(input)
            let ids = text.withUnsafeBytes { raw -> [Int32] in
                let bytes = raw.bindMemory(to: UInt8.self)
                guard allowSpecial else { return loaded.encodeInParallel(bytes) }
                var encoder = loaded.makeEncoder(allowedSpecial: .all)
                return encoder.encodeAll(bytes)
            }
            if count {
                print(ids.count)
                return
            }
            let out = FileHandle.standardOutput
            var line = ""
            for (index, id) in ids.enumerated() {
                if index > 0 { line += " " }
                line += String(id)
                if line.utf8.count > 1 << 16 {
                    out.write(Data(line.utf8))
                    line = ""
                }
            }
            out.write(Data((line + "\n").utf8))
        }
    }
}

struct TokenizerDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode", abstract: "Turn token ids (separated by spaces or lines) back into text.")

    @Option(help: "Folder holding tokenizer.json (a run folder works too).") var tokenizer: String
    @Option(help: "File of ids (default: standard input).") var input: String?
    @Flag(name: .customLong("skip-special"), help: "Leave special tokens out of the text.") var skipSpecial = false

    func run() throws {
        try reportingErrors {
            let loaded = try Tokenizer.load(URL(fileURLWithPath: tokenizer))
            let text = String(decoding: try readInput(input), as: UTF8.self)
            var ids: [Int32] = []
            for (index, field) in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "," }).enumerated() {
                guard let id = Int32(field), id >= 0, Int(id) < loaded.vocabularySize else {
                    throw DecodeInputError(field: String(field), position: index + 1, vocabulary: loaded.vocabularySize)
                }
                ids.append(id)
            }
            FileHandle.standardOutput.write(Data(loaded.decodeBytes(ids, skipSpecialTokens: skipSpecial)))
        }
    }
}

private struct DecodeInputError: Error, CustomStringConvertible {
    let field: String
    let position: Int
    let vocabulary: Int
    var description: String { "id \(position) (\(field.prefix(20))) is not a token id of this tokenizer (0..<\(vocabulary))" }
}

/// A file's bytes, or all of standard input.
func readInput(_ path: String?) throws -> Data {
    guard let path else { return FileHandle.standardInput.readDataToEndOfFile() }
    do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
        throw CorpusTokenizerError.unreadable(path, reason: FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file")
    }
}

/// One progress line for work measured in fractions: redrawn on a terminal, a JSON line every few seconds otherwise.
final class ProgressLine {
    private var lastPrint = Date.distantPast
    private let start = Date()

    func show(_ text: String, fraction: Double) {
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        if standardErrorIsTerminal {
            guard fraction >= 1 || now.timeIntervalSince(lastPrint) > 0.1 else { return }
            FileHandle.standardError.write(Data("\r\(text) | \(formatDuration(elapsed)) elapsed | ETA \(formatDuration(eta))\u{1B}[K".utf8))
        } else {
            guard now.timeIntervalSince(lastPrint) > 5 else { return }
            printError(String(format: "{\"progress\": \"%@\", \"fraction\": %.3f, \"elapsed_s\": %.1f}", text, fraction, elapsed))
        }
        lastPrint = now
    }

    func finish() {
        if standardErrorIsTerminal && lastPrint != .distantPast { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
