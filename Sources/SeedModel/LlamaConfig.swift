import Foundation

/// What is wrong with a model configuration; one line that says what to change.
public enum LlamaConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case badJSON(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .invalid(message): return "invalid model shape: \(message)"
        case let .badJSON(message): return "bad config.json: \(message)"
        case let .unsupported(message): return "unsupported model: \(message)"
        }
    }
}

/// The shape of a Llama-style decoder. Codable with Hugging Face's config.json names.
public struct LlamaConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var dim: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var hidden: Int
    public var context: Int
    public var normEps: Double
    public var ropeTheta: Double
    public var tieEmbeddings: Bool
    public var bosTokenId: Int?
    public var eosTokenId: Int?

    public init(vocabSize: Int, dim: Int, layers: Int, heads: Int, kvHeads: Int, hidden: Int, context: Int,
                normEps: Double = 1e-5, ropeTheta: Double = 10000, tieEmbeddings: Bool = false,
                bosTokenId: Int? = nil, eosTokenId: Int? = nil) {
        self.vocabSize = vocabSize
        self.dim = dim
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.hidden = hidden
        self.context = context
        self.normEps = normEps
        self.ropeTheta = ropeTheta
        self.tieEmbeddings = tieEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    public var headDim: Int { heads > 0 ? dim / heads : 0 }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", dim = "hidden_size", layers = "num_hidden_layers"
        case heads = "num_attention_heads", kvHeads = "num_key_value_heads", hidden = "intermediate_size"
        case context = "max_position_embeddings", normEps = "rms_norm_eps", ropeTheta = "rope_theta"
        case tieEmbeddings = "tie_word_embeddings", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        dim = try c.decode(Int.self, forKey: .dim)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        // Older configs leave it out, meaning plain multi-head attention.
        kvHeads = try c.decodeIfPresent(Int.self, forKey: .kvHeads) ?? heads
        hidden = try c.decode(Int.self, forKey: .hidden)
        context = try c.decode(Int.self, forKey: .context)
        normEps = try c.decodeIfPresent(Double.self, forKey: .normEps) ?? 1e-5
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10000
        tieEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieEmbeddings) ?? false
        bosTokenId = try c.decodeIfPresent(TokenIdOrList.self, forKey: .bosTokenId)?.first
        eosTokenId = try c.decodeIfPresent(TokenIdOrList.self, forKey: .eosTokenId)?.first
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(dim, forKey: .dim)
        try c.encode(layers, forKey: .layers)
        try c.encode(heads, forKey: .heads)
        try c.encode(kvHeads, forKey: .kvHeads)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(context, forKey: .context)
        try c.encode(normEps, forKey: .normEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(tieEmbeddings, forKey: .tieEmbeddings)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
    }

    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw LlamaConfigError.invalid(message()) }
        }
        for (name, value) in [("vocab size", vocabSize), ("dim", dim), ("layers", layers), ("heads", heads),
                              ("kv heads", kvHeads), ("hidden", hidden), ("context", context)] {
            try require(value > 0, "\(name) must be positive (got \(value))")
        }
        try require(dim % heads == 0, "dim \(dim) must be divisible by heads \(heads)")
        try require(heads % kvHeads == 0, "heads \(heads) must be divisible by kv heads \(kvHeads)")
        try require(headDim % 2 == 0, "head size dim/heads = \(headDim) must be even for rotary embeddings")
        try require(normEps > 0 && normEps.isFinite, "rms_norm_eps must be a small positive number (got \(normEps))")
        try require(ropeTheta > 0 && ropeTheta.isFinite, "rope_theta must be positive (got \(ropeTheta))")
        if let bosTokenId { try require((0..<vocabSize).contains(bosTokenId), "bos token \(bosTokenId) is outside the vocabulary of \(vocabSize)") }
        if let eosTokenId { try require((0..<vocabSize).contains(eosTokenId), "eos token \(eosTokenId) is outside the vocabulary of \(vocabSize)") }
    }

    /// Embedding, per layer two norms, q/k/v/o and gate/up/down, the final norm, and the head unless tied.
    public var parameterCount: Int {
        let qDim = heads * headDim, kvDim = kvHeads * headDim
        let perLayer = 2 * dim + dim * qDim + 2 * dim * kvDim + qDim * dim + 3 * dim * hidden
        return vocabSize * dim + layers * perLayer + dim + (tieEmbeddings ? 0 : vocabSize * dim)
    }

    /// Hugging Face's config.json for LlamaForCausalLM, pretty-printed with sorted keys.
    public func hfConfigJSON() -> Data {
        let file = HFLlamaConfigFile(
            architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: dim, intermediate_size: hidden,
            num_attention_heads: heads, num_hidden_layers: layers, num_key_value_heads: kvHeads, head_dim: headDim,
            max_position_embeddings: context, rms_norm_eps: normEps, rope_theta: ropeTheta, vocab_size: vocabSize,
            tie_word_embeddings: tieEmbeddings, hidden_act: "silu", attention_bias: false, mlp_bias: false,
            torch_dtype: "float32", bos_token_id: bosTokenId.map { TokenIdOrList([$0]) },
            eos_token_id: eosTokenId.map { TokenIdOrList([$0]) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain numbers, strings and bools cannot fail.
        return (try? encoder.encode(file)) ?? Data()
    }

    /// Reads a config.json written by Seed or by transformers; unknown keys are ignored.
    public init(hfConfigJSON data: Data) throws {
        let file: HFLlamaConfigFile
        do {
            file = try JSONDecoder().decode(HFLlamaConfigFile.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw LlamaConfigError.badJSON("'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch DecodingError.keyNotFound(let key, _) {
            throw LlamaConfigError.badJSON("'\(key.stringValue)' is missing")
        } catch {
            throw LlamaConfigError.badJSON("it is not a JSON object")
        }
        guard file.model_type == "llama" || (file.architectures ?? []).contains("LlamaForCausalLM") else {
            let kind = file.model_type ?? file.architectures?.first ?? "unknown"
            throw LlamaConfigError.unsupported("the model type is '\(kind)'; Seed reads Llama models (model_type \"llama\") only")
        }
        if file.hidden_act != nil, file.hidden_act != "silu" {
            throw LlamaConfigError.unsupported("hidden_act is '\(file.hidden_act!)'; Seed implements SwiGLU with silu only")
        }
        if file.attention_bias == true || file.mlp_bias == true {
            throw LlamaConfigError.unsupported("the model has attention or MLP biases, which Seed does not implement")
        }
        self.init(vocabSize: file.vocab_size, dim: file.hidden_size, layers: file.num_hidden_layers,
                  heads: file.num_attention_heads, kvHeads: file.num_key_value_heads ?? file.num_attention_heads,
                  hidden: file.intermediate_size, context: file.max_position_embeddings,
                  normEps: file.rms_norm_eps ?? 1e-5, ropeTheta: file.rope_theta ?? 10000,
                  tieEmbeddings: file.tie_word_embeddings ?? false,
                  bosTokenId: file.bos_token_id?.first, eosTokenId: file.eos_token_id?.first)
        if let headDim = file.head_dim, heads > 0, headDim != dim / heads {
            throw LlamaConfigError.unsupported("head_dim \(headDim) differs from hidden_size/num_attention_heads = \(dim / heads); Seed needs them equal")
        }
    }
}

/// A token id field that transformers may write as one integer or a list of them (Llama 3's eos).
struct TokenIdOrList: Codable, Equatable, Sendable {
    var ids: [Int]
    var first: Int? { ids.first }

    init(_ ids: [Int]) { self.ids = ids }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let id = try? c.decode(Int.self) { ids = [id] } else { ids = try c.decode([Int].self) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if ids.count == 1 { try c.encode(ids[0]) } else { try c.encode(ids) }
    }
}

/// config.json as transformers writes it for LlamaForCausalLM (the fields Seed reads or writes).
private struct HFLlamaConfigFile: Codable {
    var architectures: [String]?
    var model_type: String?
    var hidden_size: Int
    var intermediate_size: Int
    var num_attention_heads: Int
    var num_hidden_layers: Int
    var num_key_value_heads: Int?
    var head_dim: Int?
    var max_position_embeddings: Int
    var rms_norm_eps: Double?
    var rope_theta: Double?
    var vocab_size: Int
    var tie_word_embeddings: Bool?
    var hidden_act: String?
    var attention_bias: Bool?
    var mlp_bias: Bool?
    var torch_dtype: String?
    var bos_token_id: TokenIdOrList?
    var eos_token_id: TokenIdOrList?
}
