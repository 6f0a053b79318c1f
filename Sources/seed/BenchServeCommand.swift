import ArgumentParser
import Foundation
import SeedModel
import SeedServe
import SeedTokenizer
import ServiceLifecycle

struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Tokens/s of `seed generate` (decoding and a long prompt, against memory bandwidth), then time to first token and tokens/s of 1 and N concurrent streams through `seed serve`.")

    @Option(help: "Run or model folder to measure.") var model: String
    @Option(name: .customLong("random-shape"), help: "Write a random-weight model of this shape to --model first: gpt2-small (12 layers, 768 wide, 12 heads, SwiGLU 2048, vocab 50,257: 124M parameters) or demo (4 layers, 128 wide, byte vocabulary).")
    var randomShape: String?
    @Option(name: .customLong("decode-tokens"), help: "Tokens generated per stream.") var decodeTokens = 128
    @Option(name: .customLong("prompt-tokens"), help: "Length of the prompt whose reading speed is measured.") var promptTokens = 512
    @Option(help: "Concurrent streams of the batched measurement.") var streams = 8
    @Flag(name: .customLong("generate-only"), help: "Measure `seed generate` only: no engine steps, no server.") var generateOnly = false
    @Option(name: .customLong("kv-cache"), help: "Number type of the key/value caches, in generate, the engine steps and the server alike.")
    var kvCache: KVCache.Precision = .float16

    func run() async throws {
        try await reportingErrorsAsync {
            let folder = URL(fileURLWithPath: model)
            if let randomShape { try writeRandomModel(randomShape, to: folder) }
            let served = try ServedModel.load(folder: folder, name: "bench")
            let c = served.model.config
            print("model: \(c.layers) layers, \(c.dim) wide, \(c.heads) heads, hidden \(c.hidden), vocab \(c.vocabSize), \(c.parameterCount) parameters, \(ProcessInfo.processInfo.activeProcessorCount) threads")
            let g = try ServeBenchmark.generate(model: served.model, decodeTokens: decodeTokens, promptTokens: promptTokens, precision: kvCache)
            print(String(format: "generate: decode %.1f tokens/s, %d-token prompt %.0f tokens/s (median of %d reads, %.0f–%.0f)",
                         g.decodeTokensPerSecond, g.promptTokens, g.promptTokensPerSecond, g.promptRuns.count,
                         g.promptRuns.min()!, g.promptRuns.max()!))
            print(String(format: "memory: %.1f MB of weights per token, read bandwidth %.1f GB/s, decoding reaches %.0f%% of it",
                         g.bytesPerToken / 1e6, g.bandwidthBytesPerSecond / 1e9, g.bandwidthFraction * 100))
            if generateOnly { return }

            let single = try ServeBenchmark.batchedStep(model: served.model, rows: 1, precision: kvCache)
            var steps = String(format: "engine step: 1 sequence %.2f ms", single * 1000)
            for rows in Set([2, 4, streams, 16, 32]).filter({ $0 > 1 }).sorted() {
                let t = try ServeBenchmark.batchedStep(model: served.model, rows: rows, precision: kvCache)
                steps += String(format: ", %d: %.2f ms (%.2f× the tokens/s)", rows, t * 1000, Double(rows) * single / t)
            }
            print(steps)

            let server = SeedServer(served: served, configuration: ServerConfiguration(port: 0, maxBatch: max(16, streams), kvCache: kvCache))
            let (ports, portSink) = AsyncStream<Int>.makeStream()
            // Stopped gracefully at the end (open connections closed, then the listener), so that the
            // bench's output ends without the errors of a cancelled server.
            let services = ServiceGroup(services: [server.application(onRunning: { portSink.yield($0) })])
            let serving = Task { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ExitCode.failure }
            let base = URL(string: "http://127.0.0.1:\(port)/v1")!
            let prompt = "ROMEO: Is the day so young?"
            // The demo model's context is 128 tokens: the answer gets what the prompt leaves.
            let promptCount = served.tokenizer.encode(prompt).count
            let answerTokens = min(decodeTokens, c.context - promptCount - 1)
            _ = try await ServeBenchmark.server(baseURL: base, model: "bench", streams: 1, prompt: prompt, maxTokens: 4, minimumSeconds: 0)
            // The same steps alone, at the middle of the answers' positions, to set the server's steps against.
            let middle = promptCount + answerTokens / 2
            var alone: [Int: Double] = [:]
            for count in [1, streams] { alone[count] = try ServeBenchmark.batchedStep(model: served.model, rows: count, position: middle, precision: kvCache) }
            var one: ServeBenchmark.ServerFigures?
            for count in [1, streams] {
                // This VM's speed drifts within a minute: the stream is also set against generate run just before.
                let nearby = count == 1 ? try ServeBenchmark.decodeRate(model: served.model, decodeTokens: decodeTokens, precision: kvCache) : nil
                let before = server.engine.statistics
                let s = try await ServeBenchmark.server(baseURL: base, model: "bench", streams: count, prompt: prompt, maxTokens: answerTokens)
                let engine = server.engine.statistics.since(before)
                if count == 1 { one = s }
                var line = String(format: "server, %d stream%@: time to first token %.1f ms, %.1f tokens/s per stream, %.1f tokens/s in all",
                                  count, count == 1 ? "" : "s", s.medianTimeToFirstToken * 1000, s.perStreamTokensPerSecond, s.totalTokensPerSecond)
                if let nearby {
                    line += String(format: " (%.0f%% of generate, %.0f%% of its %.1f tokens/s just before)", s.perStreamTokensPerSecond / g.decodeTokensPerSecond * 100,
                                   s.perStreamTokensPerSecond / nearby * 100, nearby)
                }
                if count > 1, let one { line += String(format: " (%.2f× one stream)", s.totalTokensPerSecond / one.totalTokensPerSecond) }
                print(line)
                print(engineLine(engine, streams: count, alone: alone[count], nice: server.engine.threadNice))
            }
            await services.triggerGracefulShutdown()
            try await serving.value
            server.engine.stop()
        }
    }

    /// The engine's steps during a server run against the same step measured alone: when the server's
    /// steps take longer, the HTTP side's threads were taking the cores from the model.
    private func engineLine(_ e: EngineStatistics, streams: Int, alone: Double?, nice: Int32?) -> String {
        guard e.steps > 0 else { return "  engine: no steps" }
        var line = "  engine" + (nice.map { " (nice \($0))" } ?? "")
        line += String(format: ": %d steps, %.1f sequences decoding per step, %.3f ms per step",
                       e.steps, Double(e.decodingRows) / Double(e.steps), e.seconds / Double(e.steps) * 1000)
        if let alone { line += String(format: "; the %d-sequence step alone, mid-answer: %.3f ms", streams, alone * 1000) }
        return line
    }

    private func writeRandomModel(_ shape: String, to folder: URL) throws {
        let config: LlamaConfig
        switch shape {
        case "gpt2-small":
            config = LlamaConfig(vocabSize: 50257, dim: 768, layers: 12, heads: 12, kvHeads: 12, hidden: 2048, context: 1024, tieEmbeddings: true)
        case "demo":
            config = LlamaConfig(vocabSize: 256, dim: 128, layers: 4, heads: 4, kvHeads: 4, hidden: 352, context: 128)
        default:
            throw ValidationError("--random-shape takes gpt2-small or demo")
        }
        let model = try LlamaModel(config: config)
        model.initializeWeights(seed: 1)
        try ModelFolder.save(model, to: folder)
        // Bytes cover every text; ids past 255 decode to nothing, which is fine for timing.
        if config.vocabSize != 256 { try Tokenizer.bytes.save(to: folder) }
    }
}
