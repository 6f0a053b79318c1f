import Foundation
import SeedModel

/// How `seed serve` listens and what it protects itself against.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); `SeedServer.run` reports the one it got.
    public var port: Int
    /// When set, /v1/ endpoints need `Authorization: Bearer KEY` (health, metrics and the tokenizer stay
    /// open, as in vLLM).
    public var apiKey: String?
    /// Larger bodies get 413 without being read to the end.
    public var maxBodyBytes: Int
    /// A request body must arrive within this time, so a client sending a byte a second cannot hold a
    /// connection and a handler forever.
    public var bodyTimeout: Duration
    /// A connection with nothing arriving (half-sent headers included) is closed after this.
    public var idleTimeout: Duration
    /// Sequences decoded together in one step.
    public var maxBatch: Int
    /// Prompt tokens read per step while other sequences decode.
    public var prefillChunk: Int
    /// Prompt tokens read per step while no sequence decodes (see `GenerationEngine.idlePrefillChunk`).
    public var idlePrefillChunk: Int
    /// Nice value asked for on the engine's thread (Linux, with root or CAP_SYS_NICE; otherwise it keeps
    /// the process's). The engine's thread shares the cores with a dozen HTTP threads, and a fair share
    /// left its steps two to three times slower than alone: on the demo model, nice -5 took one stream
    /// from 70-75 % of `seed generate`'s tokens/s to 86-94 %, and eight streams up by a tenth. Once the
    /// decoding matmuls ran in panels, eight streams kept the engine's thread busy 96 % of the time while
    /// the other core idled a third of it: what the HTTP threads took from the engine's core was the limit.
    /// In turns, 8 streams gave 2.15–2.80× one stream at -5, 2.59–3.12× at -12 and 2.81–3.21× at -20,
    /// with one stream as fast. With a single core the HTTP side would wait for whole answers, so it keeps -5.
    public var engineNice: Int32

    /// The KV caches of generated answers. Float16 halves the bytes that attention reads, which with eight
    /// streams of the demo model came near the weights' (2.4 against 3.3 MB a step, see `KVCache`); prompts
    /// scored for their log-probabilities (`echo`, as lm-evaluation-harness asks) always keep float32.
    public var kvCache: KVCache.Precision

    /// The engine's nice value unless one is given: -20 where there is a second core for the HTTP side.
    public static var defaultEngineNice: Int32 { ProcessInfo.processInfo.activeProcessorCount > 1 ? -20 : -5 }

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, maxBodyBytes: Int = 8 << 20,
                bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60), maxBatch: Int = 16, prefillChunk: Int = 128,
                idlePrefillChunk: Int = 512, engineNice: Int32 = ServerConfiguration.defaultEngineNice, kvCache: KVCache.Precision = .float16) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.maxBodyBytes = maxBodyBytes
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxBatch = maxBatch
        self.prefillChunk = prefillChunk
        self.idlePrefillChunk = idlePrefillChunk
        self.engineNice = engineNice
        self.kvCache = kvCache
    }
}
