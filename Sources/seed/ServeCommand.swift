import ArgumentParser
import Foundation
import SeedModel
import SeedServe

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model behind OpenAI's API (chat, completions, tokenizer endpoints, /metrics) until Ctrl-C.")

    @Option(help: "Run or model folder (config.json, model.safetensors, tokenizer.json).") var model: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(name: .customLong("api-key-env"), help: "Environment variable holding the API key that requests must send as a Bearer token (all but health, metrics and the tokenizer endpoints).")
    var apiKeyEnv: String?
    @Option(name: .customLong("model-name"), help: "Name that clients use for the model (default: the folder's name).") var modelName: String?
    @Option(name: .customLong("max-batch"), help: "Sequences decoded together in one step.") var maxBatch = 16
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted.") var maxBodyBytes = 8 << 20
    @Option(name: .customLong("engine-nice"), help: "Nice value for the model's thread, so that the server's own HTTP threads do not slow it (below 0 needs root or CAP_SYS_NICE; Linux).")
    var engineNice: Int32 = ServerConfiguration.defaultEngineNice
    @Option(name: .customLong("kv-cache"), help: "Number type of the generated answers' key/value caches: float16 halves what attention reads, float32 keeps the full forward pass's logits (scored prompts always keep float32).")
    var kvCache: KVCache.Precision = .float16

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBatch > 0 else { throw ValidationError("--max-batch must be positive") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard (-20...19).contains(engineNice) else { throw ValidationError("--engine-nice must be between -20 and 19") }
    }

    func run() async throws {
        do {
            var apiKey: String?
            if let apiKeyEnv {
                guard let value = ProcessInfo.processInfo.environment[apiKeyEnv], !value.isEmpty else {
                    throw ServeSetupError.missingKey(apiKeyEnv)
                }
                apiKey = value
            }
            let served = try ServedModel.load(folder: URL(fileURLWithPath: model), name: modelName)
            let configuration = ServerConfiguration(host: host, port: port, apiKey: apiKey, maxBodyBytes: maxBodyBytes, maxBatch: maxBatch,
                                                    engineNice: engineNice, kvCache: kvCache)
            let host = host
            let server = SeedServer(served: served, configuration: configuration)
            if let nice = server.engine.threadNice, nice != engineNice {
                print("note: the engine's thread runs at nice \(nice), not \(engineNice) (a lower nice needs root or CAP_SYS_NICE)")
            }
            try await server.run { port in
                print("serving '\(served.name)' at http://\(host):\(port)/v1 (Ctrl-C to stop)")
                fflush(stdout)
            }
        } catch {
            printError("error: \(describe(error))")
            throw ExitCode.failure
        }
    }
}

enum ServeSetupError: Error, CustomStringConvertible {
    case missingKey(String)

    var description: String {
        switch self {
        case .missingKey(let name): return "--api-key-env names \(name), but that environment variable is not set; export it or drop the option"
        }
    }
}
