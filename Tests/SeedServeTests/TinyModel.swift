import Foundation
import SeedModel
import SeedServe
import SeedTokenizer

/// Small random-weight models written to temporary folders, so that the server tests need no training.
enum TinyModel {
    static let corpus = String(repeating: """
        The quick brown fox jumps over the lazy dog. A server answers requests; a model predicts tokens.
        Seed trains small models on ordinary machines, and serves them behind the same API it learned from.
        Paris is the capital of France. Ünïcödé text, emoji 🌱 and numbers 12345 belong in a tokenizer too.

        """, count: 20)

    /// A BPE tokenizer with ChatML's tokens and a 2-layer model over it, in a model folder.
    static func bpeFolder(context: Int = 96) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let text = folder.appendingPathComponent("corpus.txt")
        try corpus.write(to: text, atomically: true, encoding: .utf8)
        let tokenizer = try Tokenizer.train(files: [text], vocabularySize: 320)
        try tokenizer.save(to: folder)
        let config = LlamaConfig(vocabSize: tokenizer.vocabularySize, dim: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 64, context: context,
                                 eosTokenId: tokenizer.endOfTextId.map(Int.init))
        try save(config: config, seed: 7, to: folder)
        return folder
    }

    /// A byte-level model (256 ids, no tokenizer.json), as `seed demo` makes.
    static func byteFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-serve-bytes-\(UUID().uuidString)")
        try save(config: LlamaConfig(vocabSize: 256, dim: 32, layers: 2, heads: 2, kvHeads: 2, hidden: 64, context: 64), seed: 8, to: folder)
        return folder
    }

    /// Weights larger than the training init, so that the model's choices depend clearly on its input.
    private static func save(config: LlamaConfig, seed: UInt64, to folder: URL) throws {
        let model = try LlamaModel(config: config)
        model.initializeWeights(seed: seed)
        for i in 0..<model.parameters.count where model.parameters[i] != 1 { model.parameters[i] *= 20 }
        try ModelFolder.save(model, to: folder)
    }
}
