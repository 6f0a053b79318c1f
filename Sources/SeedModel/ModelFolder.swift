import Foundation
import SeedTensor

public enum ModelFolderError: Error, CustomStringConvertible {
    case missing(String)
    case missingTensor(String, path: String)
    case wrongShape(String, expected: [Int], found: [Int], path: String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path) is missing; is this a model folder made by `seed train`?"
        case .missingTensor(let name, let path): return "\(path) has no tensor '\(name)' that config.json calls for"
        case .wrongShape(let name, let expected, let found, let path):
            return "tensor '\(name)' in \(path) has shape \(found), but config.json implies \(expected)"
        }
    }
}

/// A model on disk in Hugging Face's layout: `config.json`, `model.safetensors`, `generation_config.json`.
/// transformers' `LlamaForCausalLM.from_pretrained` loads such a folder as it is.
public enum ModelFolder {
    public static func save(_ model: LlamaModel, to folder: URL, generation: GenerationConfig = GenerationConfig()) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeConfig(model.config, generation: generation, to: folder)
        try saveWeights(model, to: folder.appendingPathComponent("model.safetensors"))
    }

    public static func writeConfig(_ config: LlamaConfig, generation: GenerationConfig = GenerationConfig(), to folder: URL) throws {
        try config.hfConfigJSON().write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        try generation.write(to: folder.appendingPathComponent("generation_config.json"))
    }

    /// The weights under their Hugging Face names (a tied head is not written: HF ties it on load).
    public static func saveWeights(_ model: LlamaModel, to url: URL) throws {
        let items = model.layout.tensors.map { t in
            SafeTensorsItem(name: t.name, shape: t.shape,
                            values: UnsafeBufferPointer(start: model.parameters.pointer + t.offset, count: t.count))
        }
        try SafeTensors.write(items, metadata: ["format": "pt"], to: url)
    }

    public static func load(_ folder: URL) throws -> LlamaModel {
        let configURL = folder.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: configURL) else { throw ModelFolderError.missing(configURL.path) }
        let model = try LlamaModel(config: try LlamaConfig(hfConfigJSON: data))
        try loadWeights(into: model, from: folder.appendingPathComponent("model.safetensors"))
        return model
    }

    public static func loadWeights(into model: LlamaModel, from url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelFolderError.missing(url.path) }
        let file = try SafeTensors(contentsOf: url)
        for t in model.layout.tensors {
            guard file.contains(t.name) else { throw ModelFolderError.missingTensor(t.name, path: url.path) }
            let shape = try file.shape(of: t.name)
            guard shape == t.shape else { throw ModelFolderError.wrongShape(t.name, expected: t.shape, found: shape, path: url.path) }
            try file.copy(t.name, into: model.parameters.pointer + t.offset, count: t.count)
        }
    }
}
