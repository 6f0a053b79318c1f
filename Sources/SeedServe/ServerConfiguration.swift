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

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, maxBodyBytes: Int = 8 << 20,
                bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60), maxBatch: Int = 16, prefillChunk: Int = 128) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.maxBodyBytes = maxBodyBytes
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxBatch = maxBatch
        self.prefillChunk = prefillChunk
    }
}
