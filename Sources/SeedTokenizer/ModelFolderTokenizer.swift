import Foundation

extension Tokenizer {
    /// The tokenizer of a model folder: its `tokenizer.json`, or raw bytes for a model trained on bytes
    /// (a vocabulary of 256 and no tokenizer.json). `vocabularySize` is the model's.
    public static func load(modelFolder folder: URL, vocabularySize: Int) throws -> Tokenizer {
        let file = folder.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            guard vocabularySize == 256 else { throw TokenizerError.missingTokenizer(folder: folder.path, vocabularySize: vocabularySize) }
            return Tokenizer.bytes
        }
        let tokenizer = try Tokenizer.load(file)
        guard tokenizer.vocabularySize <= vocabularySize else {
            throw TokenizerError.mismatch(path: file.path, tokenizerIds: tokenizer.vocabularySize, modelIds: vocabularySize)
        }
        return tokenizer
    }
}
