import ArgumentParser
import Foundation
import SeedModel
import SeedTokenizer

extension KVCache.Precision: ExpressibleByArgument {}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a trained model, streaming the text to standard output.")

    @Option(help: "Run or model folder (config.json, model.safetensors).") var model: String
    @Option(help: "Text to continue.") var prompt: String
    @Option(name: .customLong("max-tokens"), help: "Tokens to generate at most.") var maxTokens = 200
    @Option(help: "Sampling temperature (0: greedy).") var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens only.") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Sample among the most likely tokens that cover this probability.") var topP: Float?
    @Option(help: "Seed of the sampler: the same seed gives the same text.") var seed: UInt64 = 0
    @Option(name: .customLong("kv-cache"), help: "Number type of the key/value cache: float16 (as `seed serve` answers) halves what attention reads; float32 keeps the full forward pass's logits.")
    var kvCache: KVCache.Precision = .float16

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must not be negative") }
        guard temperature >= 0 else { throw ValidationError("--temperature must not be negative") }
        if let topK, topK <= 0 { throw ValidationError("--top-k must be positive") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() throws {
        try reportingErrors {
            let folder = URL(fileURLWithPath: model)
            let loaded = try ModelFolder.load(folder)
            let tokenizer = try Tokenizer.load(modelFolder: folder, vocabularySize: loaded.config.vocabSize)
            let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed)
            let out = FileHandle.standardOutput
            out.write(Data(prompt.utf8))
            var stream = tokenizer.streamingDecoder()
            let promptTokens = tokenizer.encode(prompt)
            let produced = try Generator(model: loaded, precision: kvCache).generate(
                prompt: promptTokens, maxTokens: maxTokens, sampling: sampling,
                stopTokens: loaded.config.eosTokenId.map { [Int32($0)] } ?? []) { token in
                out.write(Data(stream.append(token)))
                return true
            }
            out.write(Data(stream.flush() + [UInt8(ascii: "\n")]))
            if produced.count < maxTokens && promptTokens.count + produced.count >= loaded.config.context {
                printError("note: stopped after \(produced.count) tokens: the model's context of \(loaded.config.context) tokens is full")
            }
        }
    }
}
