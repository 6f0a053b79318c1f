import Foundation
import SeedModel
import SeedTokenizer

/// `seed demo`: the whole pre-training path on the bundled sample corpus, sized to take about two minutes
/// on two cores. Its folder carries a marker so that a second demo replaces the first one and nothing else.
public struct DemoRecipe {
    public static let defaultSteps = 1100
    public static let prompts = ["ROMEO:\n", "MACBETH.\nWhat is ", "\n"]
    static let marker = ".seed-demo"

    public let folder: URL
    public let corpus: URL
    public let steps: Int
    public var dataFolder: URL { folder.appendingPathComponent("data") }
    public var runFolder: URL { folder.appendingPathComponent("model") }

    public init(folder: URL, corpus: URL, steps: Int) throws {
        self.folder = folder
        self.corpus = corpus
        self.steps = steps
        let fm = FileManager.default
        if fm.fileExists(atPath: folder.path) {
            guard fm.fileExists(atPath: folder.appendingPathComponent(Self.marker).path) else {
                throw TrainingError.runExists(folder.path)
            }
            try fm.removeItem(at: folder)
        }
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data().write(to: folder.appendingPathComponent(Self.marker))
    }

    public var config: TrainingConfig {
        var c = TrainingConfig()
        c.layers = 4; c.heads = 4; c.dim = 128; c.context = 128; c.batch = 16
        c.steps = steps; c.lr = 2e-3; c.warmup = min(100, steps / 10); c.evalEvery = max(1, steps / 5)
        c.saveEvery = max(1, steps / 5); c.evalBatches = 20
        return c
    }

    public func tokenize() throws -> CorpusSummary {
        let texts = try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "txt" }
        return try CorpusTokenizer.tokenize(inputs: texts, tokenizer: ByteTokenizer(), outputDirectory: dataFolder, validationFraction: 0.1)
    }

    public func train(progress: (TrainingProgress) -> Void) throws -> TrainingSummary {
        let trainer = try Trainer(dataDirectory: dataFolder, runDirectory: runFolder, config: config)
        return try trainer.train(progress: progress)
    }

    public func sample(prompt: String, tokens: Int, seed: UInt64) throws -> String {
        let model = try ModelFolder.load(runFolder)
        let tokenizer = ByteTokenizer()
        let produced = try Generator(model: model).generate(
            prompt: Array(prompt.utf8).map { Int32($0) }, maxTokens: tokens,
            sampling: SamplingParameters(temperature: 0.8, topK: 40, seed: seed))
        return prompt + String(decoding: tokenizer.decode(produced), as: UTF8.self)
    }
}
