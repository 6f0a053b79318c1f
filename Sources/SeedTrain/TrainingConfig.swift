import Foundation
import SeedModel
import Yams

/// Everything that defines a training run: the model's shape and the optimisation. Read from YAML
/// (snake_case keys, every key optional) and overridden by command-line flags.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var layers = 4
    public var heads = 4
    public var kvHeads: Int?
    public var dim = 128
    public var hidden: Int?
    public var context = 64
    public var tieEmbeddings = true
    public var ropeTheta = 10000.0
    public var batch = 12
    public var accum = 1
    public var steps = 2000
    public var lr = 1e-3
    public var minLr: Double?
    public var warmup = 100
    public var weightDecay = 0.1
    public var gradClip = 1.0
    public var evalEvery = 250
    public var evalBatches = 20
    public var saveEvery = 250
    public var logEvery = 10
    public var seed: UInt64 = 1337

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case layers, heads, kvHeads = "kv_heads", dim, hidden, context, tieEmbeddings = "tie_embeddings"
        case ropeTheta = "rope_theta", batch, accum, steps, lr, minLr = "min_lr", warmup
        case weightDecay = "weight_decay", gradClip = "grad_clip", evalEvery = "eval_every"
        case evalBatches = "eval_batches", saveEvery = "save_every", logEvery = "log_every", seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? d.layers
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? d.heads
        kvHeads = try c.decodeIfPresent(Int.self, forKey: .kvHeads)
        dim = try c.decodeIfPresent(Int.self, forKey: .dim) ?? d.dim
        hidden = try c.decodeIfPresent(Int.self, forKey: .hidden)
        context = try c.decodeIfPresent(Int.self, forKey: .context) ?? d.context
        tieEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieEmbeddings) ?? d.tieEmbeddings
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? d.ropeTheta
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? d.batch
        accum = try c.decodeIfPresent(Int.self, forKey: .accum) ?? d.accum
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? d.steps
        lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? d.lr
        minLr = try c.decodeIfPresent(Double.self, forKey: .minLr)
        warmup = try c.decodeIfPresent(Int.self, forKey: .warmup) ?? d.warmup
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
        gradClip = try c.decodeIfPresent(Double.self, forKey: .gradClip) ?? d.gradClip
        evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? d.evalEvery
        evalBatches = try c.decodeIfPresent(Int.self, forKey: .evalBatches) ?? d.evalBatches
        saveEvery = try c.decodeIfPresent(Int.self, forKey: .saveEvery) ?? d.saveEvery
        logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? d.logEvery
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    /// Reads a YAML file; an unknown key or a value of the wrong type is an error that names it.
    public static func load(yamlAt url: URL) throws -> TrainingConfig {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw TrainingError.unreadable(url.path) }
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch { throw TrainingError.badConfig(url.path, "is not valid YAML") }
        guard let mapping = node as? [String: Any] else {
            if node == nil { return TrainingConfig() }
            throw TrainingError.badConfig(url.path, "must be a mapping of keys to values")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
            throw TrainingError.badConfig(url.path, "has an unknown key '\(unknown)' (known keys: \(known.sorted().joined(separator: ", ")))")
        }
        do {
            return try YAMLDecoder().decode(TrainingConfig.self, from: text)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TrainingError.badConfig(url.path, "has a bad value for '\(key)'")
        } catch {
            throw TrainingError.badConfig(url.path, "could not be read: \(error)")
        }
    }

    public var yaml: String {
        (try? YAMLEncoder().encode(self)) ?? ""
    }

    public var resolvedMinLr: Double { minLr ?? lr / 10 }

    /// SwiGLU's customary width: two thirds of 4·dim, rounded up to a multiple of 32.
    public var resolvedHidden: Int { hidden ?? ((8 * dim / 3 + 31) / 32 * 32) }

    public func modelConfig(vocabSize: Int) -> LlamaConfig {
        LlamaConfig(vocabSize: vocabSize, dim: dim, layers: layers, heads: heads, kvHeads: kvHeads ?? heads,
                    hidden: resolvedHidden, context: context, normEps: 1e-5, ropeTheta: ropeTheta,
                    tieEmbeddings: tieEmbeddings, bosTokenId: nil, eosTokenId: nil)
    }

    /// Checks the optimisation settings (the model's shape is checked by `LlamaConfig.validate`).
    public func validate() throws {
        func require(_ ok: Bool, _ message: String) throws { if !ok { throw TrainingError.badValue(message) } }
        try require(batch > 0, "--batch must be positive")
        try require(accum > 0, "--accum must be positive")
        try require(steps > 0, "--steps must be positive")
        try require(lr > 0 && lr.isFinite, "--lr must be a positive number")
        try require(resolvedMinLr >= 0 && resolvedMinLr <= lr, "--min-lr must be between 0 and --lr")
        try require(warmup >= 0, "--warmup must not be negative")
        try require(weightDecay >= 0, "--weight-decay must not be negative")
        try require(gradClip >= 0, "--grad-clip must not be negative (0 turns clipping off)")
        try require(evalEvery >= 0 && evalBatches >= 0 && saveEvery >= 0 && logEvery > 0,
                    "--eval-every, --eval-batches and --save-every must not be negative")
        try require(context > 0, "--context must be positive")
    }
}
