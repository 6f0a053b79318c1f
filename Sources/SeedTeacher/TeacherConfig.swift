import Foundation

/// What a teacher's provider allows its outputs to be used for, as the job's author declares it.
public struct Terms: Hashable, Sendable {
    public var id: String
    public var url: String
    public var allowsTraining: Bool

    public init(id: String, url: String, allowsTraining: Bool) {
        self.id = id
        self.url = url
        self.allowsTraining = allowsTraining
    }

    public var json: JSONValue { .object(["id": .string(id), "url": .string(url), "allows_training": .bool(allowsTraining)]) }
}

/// USD per million tokens; the batch prices default to half (the Batch API's discount).
public struct Prices: Hashable, Sendable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    public var batchInputPerMillion: Double?
    public var batchOutputPerMillion: Double?

    public init(inputPerMillion: Double, outputPerMillion: Double) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    /// In billionths of a dollar, rounded up: a reservation computed this way is never below the
    /// settlement of the same or fewer tokens.
    public func nanoUSD(prompt: Int, completion: Int, batch: Bool = false) -> Int64 {
        let input = batch ? batchInputPerMillion ?? inputPerMillion / 2 : inputPerMillion
        let output = batch ? batchOutputPerMillion ?? outputPerMillion / 2 : outputPerMillion
        return Int64((Double(prompt) * input * 1000 + Double(completion) * output * 1000).rounded(.up))
    }
}

public struct TeacherConfig: Sendable {
    public var name: String
    public var baseURL: String
    public var apiKeyEnv: String
    public var model: String
    public var prices: Prices
    public var limits: RateLimiter.Limits
    public var terms: Terms
    public var timeoutSeconds = 600.0
    public var maxRetries = 8
    /// `max_completion_tokens` for OpenAI's reasoning models (o-series, gpt-5), which refuse `max_tokens`.
    public var maxTokensField = MaxTokensField.maxTokens
    /// First retry delay; each retry doubles it (up to 30 s), with jitter.
    public var retryBaseSeconds = 0.5

    public init(name: String, baseURL: String, apiKeyEnv: String, model: String, prices: Prices, limits: RateLimiter.Limits, terms: Terms) {
        self.name = name
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.model = model
        self.prices = prices
        self.limits = limits
        self.terms = terms
    }

    static func parse(_ node: ConfigNode, name: String) throws -> TeacherConfig {
        let m = try node.mapping(allowed: ["base_url", "api_key_env", "api_key", "model", "prices", "limits", "terms", "timeout_s", "max_retries", "retry_base_s", "max_tokens_field"])
        if let key = m["api_key"] { throw key.fail("API keys never go in files: put the key in an environment variable and name it in api_key_env") }
        func required(_ key: String) throws -> ConfigNode {
            guard let n = m[key] else { throw TeacherError.config(key: "\(node.path).\(key)", reason: "required") }
            return n
        }
        let p = try required("prices").mapping(allowed: ["input_per_million", "output_per_million", "batch_input_per_million", "batch_output_per_million"])
        func price(_ key: String) throws -> Double {
            guard let n = p[key] else { throw TeacherError.config(key: "\(node.path).prices.\(key)", reason: "required") }
            return try n.double(in: 0...1e6)
        }
        var prices = Prices(inputPerMillion: try price("input_per_million"), outputPerMillion: try price("output_per_million"))
        prices.batchInputPerMillion = try p["batch_input_per_million"]?.double(in: 0...1e6)
        prices.batchOutputPerMillion = try p["batch_output_per_million"]?.double(in: 0...1e6)
        var limits = RateLimiter.Limits()
        if let l = try m["limits"]?.mapping(allowed: ["requests_per_minute", "tokens_per_minute", "max_in_flight"]) {
            limits.requestsPerMinute = try l["requests_per_minute"]?.double(in: 0.001...1e9)
            limits.tokensPerMinute = try l["tokens_per_minute"]?.double(in: 1...1e12)
            if let n = l["max_in_flight"] { limits.maxInFlight = try n.int(in: 1...4096) }
        }
        let t = try required("terms").mapping(allowed: ["id", "url", "allows_training"])
        func term(_ key: String) throws -> ConfigNode {
            guard let n = t[key] else { throw TeacherError.config(key: "\(node.path).terms.\(key)", reason: "required (each teacher declares its terms)") }
            return n
        }
        var config = TeacherConfig(
            name: name, baseURL: try required("base_url").string(), apiKeyEnv: try required("api_key_env").string(),
            model: try required("model").string(), prices: prices, limits: limits,
            terms: Terms(id: try term("id").string(), url: try term("url").string(), allowsTraining: try term("allows_training").bool()))
        if let n = m["timeout_s"] { config.timeoutSeconds = try n.double(in: 0.01...86400) }
        if let n = m["max_retries"] { config.maxRetries = try n.int(in: 0...100) }
        if let n = m["max_tokens_field"] {
            let spelling = try n.string()
            guard let field = MaxTokensField(rawValue: spelling) else {
                throw n.fail("takes max_tokens or max_completion_tokens, not \(spelling)")
            }
            config.maxTokensField = field
        }
        if let n = m["retry_base_s"] { config.retryBaseSeconds = try n.double(in: 0...60) }
        guard URL(string: config.baseURL)?.host != nil, config.baseURL.hasPrefix("http") else {
            throw TeacherError.config(key: "\(node.path).base_url", reason: "expected an http(s) URL such as http://127.0.0.1:8000/v1, got \"\(config.baseURL)\"")
        }
        return config
    }
}
