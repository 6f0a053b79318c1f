import Foundation
import SeedModel
import SeedTensor

/// Everything besides the weights that a resumed run needs.
public struct TrainerState: Codable, Equatable, Sendable {
    public var step: Int
    public var loader: LoaderPosition
    public var elapsedSeconds: Double
    public var config: TrainingConfig
}

/// A training run on disk: the model folder in Hugging Face's layout (`config.json`, `model.safetensors`,
/// `generation_config.json`, `tokenizer.json` when there is one), `training.yaml`, `log.jsonl`, and
/// `state/` for exact resume.
///
/// A save writes a complete new state into `state.new/`, then swaps it in with renames; a kill at any point
/// leaves `state/` or `state.old/` complete, and loading takes whichever is whole.
public struct RunFolder {
    public let url: URL
    public init(_ url: URL) { self.url = url }

    var stateURL: URL { url.appendingPathComponent("state") }
    var oldStateURL: URL { url.appendingPathComponent("state.old") }
    var newStateURL: URL { url.appendingPathComponent("state.new") }
    public var logURL: URL { url.appendingPathComponent("log.jsonl") }
    public var weightsURL: URL { url.appendingPathComponent("model.safetensors") }

    /// True when the folder already holds (the start of) a training run.
    public var holdsRun: Bool {
        let fm = FileManager.default
        return ["config.json", "log.jsonl", "state", "state.old", "training.yaml"].contains {
            fm.fileExists(atPath: url.appendingPathComponent($0).path)
        }
    }

    func create(model: LlamaModel, config: TrainingConfig, tokenizerSource: URL?) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw TrainingError.badValue("--out \(url.path) is a file; give a folder")
        }
        try fm.createDirectory(at: url, withIntermediateDirectories: true)
        try ModelFolder.writeConfig(model.config, to: url)
        try config.yaml.write(to: url.appendingPathComponent("training.yaml"), atomically: true, encoding: .utf8)
        // The model folder must be usable alone: `seed generate`, `seed serve` and transformers read the
        // tokenizer from it. tokenizer_config.json (chat template, end token) travels with tokenizer.json.
        if let tokenizerSource {
            for name in CorpusTokenizer.tokenizerFiles {
                let source = tokenizerSource.deletingLastPathComponent().appendingPathComponent(name)
                guard fm.fileExists(atPath: source.path) else { continue }
                let target = url.appendingPathComponent(name)
                try? fm.removeItem(at: target)
                try fm.copyItem(at: source, to: target)
            }
        }
    }

    func save(model: LlamaModel, optimizer: AdamW, state: TrainerState) throws {
        let fm = FileManager.default
        try? fm.removeItem(at: newStateURL)
        try fm.createDirectory(at: newStateURL, withIntermediateDirectories: true)
        try ModelFolder.saveWeights(model, to: newStateURL.appendingPathComponent("model.safetensors"))
        let count = optimizer.moment1.count
        try SafeTensors.write([
            SafeTensorsItem(name: "exp_avg", shape: [count], values: UnsafeBufferPointer(optimizer.moment1.buffer)),
            SafeTensorsItem(name: "exp_avg_sq", shape: [count], values: UnsafeBufferPointer(optimizer.moment2.buffer)),
        ], to: newStateURL.appendingPathComponent("optimizer.safetensors"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write(to: newStateURL.appendingPathComponent("trainer.json")) { try $0.write(contentsOf: encoder.encode(state)) }
        syncDirectory(newStateURL)

        if fm.fileExists(atPath: stateURL.path) {
            try? fm.removeItem(at: oldStateURL)
            try fm.moveItem(at: stateURL, to: oldStateURL)
        }
        try fm.moveItem(at: newStateURL, to: stateURL)
        syncDirectory(url)
        try? fm.removeItem(at: oldStateURL)
        // The user-facing weights, refreshed with every save so that a stopped run still leaves a usable model.
        try ModelFolder.saveWeights(model, to: weightsURL)
    }

    /// The newest complete saved state, or nil when there is none.
    func loadState() throws -> TrainerState? {
        guard let folder = completeStateFolder else { return nil }
        let file = folder.appendingPathComponent("trainer.json")
        do {
            return try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: file))
        } catch {
            throw TrainingError.corruptState(folder.path, "trainer.json cannot be read (\(error.localizedDescription))")
        }
    }

    func restore(into model: LlamaModel, optimizer: AdamW) throws {
        guard let folder = completeStateFolder else { throw TrainingError.nothingToResume(url.path) }
        try ModelFolder.loadWeights(into: model, from: folder.appendingPathComponent("model.safetensors"))
        let moments = try SafeTensors(contentsOf: folder.appendingPathComponent("optimizer.safetensors"))
        try moments.copy("exp_avg", into: optimizer.moment1.pointer, count: optimizer.moment1.count)
        try moments.copy("exp_avg_sq", into: optimizer.moment2.pointer, count: optimizer.moment2.count)
    }

    private var completeStateFolder: URL? {
        [stateURL, oldStateURL].first { folder in
            ["trainer.json", "model.safetensors", "optimizer.safetensors"].allSatisfy {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }
        }
    }

    private func syncDirectory(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
