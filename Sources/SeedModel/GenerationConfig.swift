import Foundation

/// Default sampling settings of a model folder: Hugging Face's generation_config.json.
public struct GenerationConfig: Codable, Equatable, Sendable {
    public var doSample: Bool?
    public var temperature: Double?
    public var topK: Int?
    public var topP: Double?
    public var maxNewTokens: Int?
    public var bosTokenId: Int?
    public var eosTokenId: Int?

    public init(doSample: Bool? = nil, temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil,
                maxNewTokens: Int? = nil, bosTokenId: Int? = nil, eosTokenId: Int? = nil) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxNewTokens = maxNewTokens
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    enum CodingKeys: String, CodingKey {
        case doSample = "do_sample", temperature, topK = "top_k", topP = "top_p", maxNewTokens = "max_new_tokens"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        doSample = try c.decodeIfPresent(Bool.self, forKey: .doSample)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens)
        // transformers writes a list where a model has several end tokens; Seed stops at the first.
        bosTokenId = try c.decodeIfPresent(TokenIdOrList.self, forKey: .bosTokenId)?.first
        eosTokenId = try c.decodeIfPresent(TokenIdOrList.self, forKey: .eosTokenId)?.first
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(doSample, forKey: .doSample)
        try c.encodeIfPresent(temperature, forKey: .temperature)
        try c.encodeIfPresent(topK, forKey: .topK)
        try c.encodeIfPresent(topP, forKey: .topP)
        try c.encodeIfPresent(maxNewTokens, forKey: .maxNewTokens)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
    }

    /// generation_config.json's bytes: pretty-printed, sorted keys, unset fields left out.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// Parses generation_config.json; unknown keys are ignored.
    public init(jsonData data: Data) throws {
        do {
            self = try JSONDecoder().decode(GenerationConfig.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw LlamaConfigError.badJSON("generation_config.json: '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw LlamaConfigError.badJSON("generation_config.json is not a JSON object")
        }
    }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LlamaConfigError.badJSON("\(url.path) could not be read; check the path")
        }
        try self.init(jsonData: data)
    }

    public func write(to url: URL) throws {
        try jsonData().write(to: url, options: .atomic)
    }
}
