import Foundation
import SeedTokenizer

/// A folder made by `seed data tokenize`: `train.bin`, optionally `val.bin`, and `tokenizer.json` when the
/// tokens are not raw bytes.
public struct TrainingData {
    public let train: TokenShard
    public let validation: TokenShard?
    public let vocabularySize: Int
    public let tokenizerFile: URL?
    /// The token that ends a document, which generation stops at.
    public let endOfTextId: Int?

    public init(directory: URL) throws {
        let trainURL = directory.appendingPathComponent("train.bin")
        guard FileManager.default.fileExists(atPath: trainURL.path) else { throw TrainingError.missingData(trainURL.path) }
        train = try TokenShard(contentsOf: trainURL)
        let valURL = directory.appendingPathComponent("val.bin")
        validation = FileManager.default.fileExists(atPath: valURL.path) ? try TokenShard(contentsOf: valURL) : nil
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            let tokenizer = try Tokenizer.load(tokenizerURL)
            tokenizerFile = tokenizerURL
            vocabularySize = tokenizer.vocabularySize
            endOfTextId = tokenizer.endOfTextId.map(Int.init)
        } else {
            tokenizerFile = nil
            vocabularySize = ByteTokenizer().vocabularySize
            endOfTextId = nil
        }
        for (shard, url) in [(train, trainURL), (validation, valURL)] {
            guard let shard else { continue }
            let bound = shard.vocabularyBound
            if bound > vocabularySize {
                throw TrainingError.tokenOutOfVocabulary(path: url.path, token: bound - 1, vocabulary: vocabularySize)
            }
        }
    }
}
