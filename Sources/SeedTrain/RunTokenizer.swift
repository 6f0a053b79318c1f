import Foundation

/// The tokenizer that goes with a run folder: raw bytes unless the folder holds a `tokenizer.json`.
public struct RunTokenizer {
    let bytes = ByteTokenizer()

    public static func load(_ folder: URL, vocabularySize: Int) throws -> RunTokenizer {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) {
            throw TrainingError.badValue("\(folder.path) uses a BPE tokenizer; this build of seed reads byte-level models only")
        }
        guard vocabularySize == 256 else {
            throw TrainingError.badValue("\(folder.path) has a vocabulary of \(vocabularySize) but no tokenizer.json to go with it")
        }
        return RunTokenizer()
    }

    public func encode(_ text: String) -> [Int32] {
        Array(text.utf8).withUnsafeBufferPointer { bytes.encode($0) }
    }

    public func streamingDecoder() -> StreamingByteDecoder { StreamingByteDecoder() }
}

/// Turns tokens into bytes as they arrive. Bytes pass straight through: a terminal assembles the UTF-8.
public struct StreamingByteDecoder {
    public mutating func append(_ token: Int32) -> [UInt8] { [UInt8(truncatingIfNeeded: token)] }
    public mutating func flush() -> [UInt8] { [] }
}
