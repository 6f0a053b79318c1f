import Foundation
import SeedTokenizer

/// The tokenizer that goes with a run or model folder: its `tokenizer.json`, or raw bytes for a model
/// trained on bytes (a vocabulary of 256 and no tokenizer.json).
public enum RunTokenizer {
    public static func load(_ folder: URL, vocabularySize: Int) throws -> Tokenizer {
        let file = folder.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            guard vocabularySize == 256 else {
                throw TrainingError.badValue("\(folder.path) has a vocabulary of \(vocabularySize) but no tokenizer.json to go with it")
            }
            return Tokenizer.bytes
        }
        let tokenizer = try Tokenizer.load(file)
        guard tokenizer.vocabularySize <= vocabularySize else {
            throw TrainingError.badValue("\(file.path) has \(tokenizer.vocabularySize) ids but the model only \(vocabularySize); they do not belong together")
        }
        return tokenizer
    }
}
