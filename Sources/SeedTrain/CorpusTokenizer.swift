import Foundation
import SeedTokenizer

public enum CorpusTokenizerError: Error, CustomStringConvertible, Equatable {
    case missingInput(String)
    case noFiles([String])
    case badFraction(Double)
    case outputIsFile(String)
    case unreadable(String, reason: String)
    case cannotCreate(String, reason: String)

    public var description: String {
        switch self {
        case .missingInput(let path): return "input \(path) does not exist; check the path"
        case .noFiles(let paths):
            return "no files to tokenize in \(paths.joined(separator: ", ")) (hidden files are skipped); give text files or folders holding them"
        case .badFraction(let f): return "validation fraction \(f) must be at least 0 and below 1 (e.g. 0.1)"
        case .outputIsFile(let path): return "output \(path) is a file; give a folder for train.bin and val.bin"
        case .unreadable(let path, let reason): return "\(path) could not be read (\(reason)); check permissions"
        case .cannotCreate(let path, let reason): return "cannot create output folder \(path) (\(reason))"
        }
    }
}

/// What `CorpusTokenizer.tokenize` did.
public struct CorpusSummary: Sendable, Equatable {
    public var files: Int
    public var bytes: Int
    public var trainTokens: Int
    public var valTokens: Int
}

/// Text files to `train.bin` and `val.bin` token shards. Each file gives its last `validationFraction` of
/// bytes to validation, so validation covers every work rather than only the last ones.
public struct CorpusTokenizer {
    /// Bytes handed to the tokenizer at once, cut where the tokens cannot change: bounds memory on big files.
    static let chunkBytes = 8 << 20

    /// Writes `train.bin` and `val.bin` (no val.bin when the fraction is 0) into `outputDirectory`. Files
    /// are processed one at a time in path order; on error the folder's existing shards are left as they were.
    /// `tokenizerFolder` holds the tokenizer.json that `tokenizer` was loaded from: it is copied beside the
    /// shards, so that training knows the vocabulary and the run folder gets the tokenizer. Without it (raw
    /// bytes) a tokenizer.json left there by an earlier run is removed.
    public static func tokenize(inputs: [URL], tokenizer: any TextTokenizer, tokenizerFolder: URL? = nil, outputDirectory: URL,
                                validationFraction: Double = 0.1) throws -> CorpusSummary {
        guard validationFraction >= 0, validationFraction < 1 else { throw CorpusTokenizerError.badFraction(validationFraction) }
        let files = try listFiles(inputs)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: outputDirectory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CorpusTokenizerError.outputIsFile(outputDirectory.path)
        }
        do {
            try fm.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw CorpusTokenizerError.cannotCreate(outputDirectory.path, reason: error.localizedDescription)
        }
        let train = try TokenShardWriter(url: outputDirectory.appendingPathComponent("train.bin"),
                                         vocabularySize: tokenizer.vocabularySize)
        let val = try TokenShardWriter(url: outputDirectory.appendingPathComponent("val.bin"),
                                       vocabularySize: tokenizer.vocabularySize)
        var summary = CorpusSummary(files: files.count, bytes: 0, trainTokens: 0, valTokens: 0)
        do {
            for file in files {
                let data: Data
                do { data = try Data(contentsOf: file, options: .mappedIfSafe) } catch {
                    throw CorpusTokenizerError.unreadable(file.path, reason: error.localizedDescription)
                }
                try data.withUnsafeBytes { raw in
                    let bytes = raw.bindMemory(to: UInt8.self)
                    let split = splitPoint(bytes, fraction: validationFraction)
                    try encode(UnsafeBufferPointer(rebasing: bytes[0..<split]), with: tokenizer, into: train)
                    try encode(UnsafeBufferPointer(rebasing: bytes[split...]), with: tokenizer, into: val)
                    // Each file is a document: the end-of-text token keeps the model from reading one work
                    // as the continuation of the previous one, and teaches it where a text ends.
                    if let end = tokenizer.endOfTextId {
                        if split > 0 { try train.append([end]) }
                        if split < bytes.count { try val.append([end]) }
                    }
                }
                summary.bytes += data.count
            }
            try train.close()
            try val.close()
            try train.commit()
            if validationFraction > 0 {
                try val.commit()
            } else {
                val.cancel()
                // A val.bin from an earlier run would no longer match train.bin.
                try? fm.removeItem(at: val.url)
            }
        } catch {
            train.cancel()
            val.cancel()
            throw error
        }
        try installTokenizerFiles(from: tokenizerFolder, into: outputDirectory)
        summary.trainTokens = train.count
        summary.valTokens = validationFraction > 0 ? val.count : 0
        return summary
    }

    static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json"]

    private static func installTokenizerFiles(from source: URL?, into folder: URL) throws {
        let fm = FileManager.default
        for name in tokenizerFiles {
            let target = folder.appendingPathComponent(name)
            if let source, source.standardizedFileURL == folder.standardizedFileURL { continue }
            try? fm.removeItem(at: target)
            guard let from = source?.appendingPathComponent(name), fm.fileExists(atPath: from.path) else { continue }
            do { try fm.copyItem(at: from, to: target) } catch {
                throw CorpusTokenizerError.cannotCreate(target.path, reason: error.localizedDescription)
            }
        }
    }

    /// Regular files under `inputs` (folders walked recursively, hidden entries skipped), sorted by path
    /// and without duplicates, so the same inputs give the same shards.
    public static func listFiles(_ inputs: [URL]) throws -> [URL] {
        let fm = FileManager.default
        var found: [String: URL] = [:]
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
                throw CorpusTokenizerError.missingInput(input.path)
            }
            guard isDirectory.boolValue else {
                found[input.standardizedFileURL.path] = input
                continue
            }
            guard let walker = fm.enumerator(at: input, includingPropertiesForKeys: [.isRegularFileKey],
                                             options: [.skipsHiddenFiles]) else {
                throw CorpusTokenizerError.unreadable(input.path, reason: "the folder cannot be listed")
            }
            for case let url as URL in walker {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
                found[url.standardizedFileURL.path] = url
            }
        }
        guard !found.isEmpty else { throw CorpusTokenizerError.noFiles(inputs.map(\.path)) }
        return found.keys.sorted().map { found[$0]! }
    }

    /// Where validation starts: `fraction` of the bytes from the end, moved to just after the nearest
    /// newline within a window around that point when there is one, so no line is split between the shards.
    static func splitPoint(_ bytes: UnsafeBufferPointer<UInt8>, fraction: Double) -> Int {
        let n = bytes.count
        let valBytes = Int((Double(n) * fraction).rounded())
        guard fraction > 0, n > 0 else { return n }
        let target = n - max(1, valBytes)
        let window = max(64, valBytes / 4)
        let newline = UInt8(ascii: "\n")
        // A newline at i means validation starts at i + 1; keep at least one byte for validation.
        let low = max(0, target - 1 - window), high = min(n - 2, target - 1 + window)
        guard low <= high else { return target }
        for distance in 0...window {
            for i in [target - 1 - distance, target - 1 + distance] where i >= low && i <= high && bytes[i] == newline {
                return i + 1
            }
        }
        return target
    }

    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>, with tokenizer: any TextTokenizer,
                               into writer: TokenShardWriter) throws {
        var start = 0
        while start < bytes.count {
            var end = min(bytes.count, start + chunkBytes)
            // A block boundary must not change the tokens: BPE pieces can run across a bare newline.
            if end < bytes.count {
                let cut = Tokenizer.lastSafeCut(in: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                end = cut.map { start + $0 } ?? bytes.count
            }
            let tokens = tokenizer.encode(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            try writer.append(tokens)
            start = end
        }
    }
}
