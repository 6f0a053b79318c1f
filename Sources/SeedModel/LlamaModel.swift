import SeedTensor

/// A Llama-style decoder: its configuration and its weights in one flat buffer (see `ParameterLayout`).
/// Forward and backward passes live in `TrainingPass`; decoding with a KV cache in `Decoder`.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let layout: ParameterLayout
    public let parameters: FloatBuffer
    public let rope: RoPE

    public init(config: LlamaConfig) throws {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config)
        parameters = FloatBuffer(count: layout.count)
        rope = RoPE(headDim: config.headDim, maxPositions: config.context, theta: Float(config.ropeTheta))
    }

    /// Normal(0, 0.02) matrices, with the projections that feed the residual stream scaled by 1/√(2·layers)
    /// as in GPT-2, so that the residual's variance does not grow with depth; norm gains at 1.
    public func initializeWeights(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let residualScale = 1 / Double(2 * config.layers).squareRoot()
        for tensor in layout.tensors {
            let p = parameters.pointer + tensor.offset
            if !tensor.decays {
                p.update(repeating: 1, count: tensor.count)
                continue
            }
            let feedsResidual = tensor.name.hasSuffix("o_proj.weight") || tensor.name.hasSuffix("down_proj.weight")
            let std = 0.02 * (feedsResidual ? residualScale : 1)
            for i in 0..<tensor.count { p[i] = Float(random.nextNormal() * std) }
        }
    }

    public func pointer(_ offset: Int) -> UnsafeMutablePointer<Float> { parameters.pointer + offset }

    /// Multiply-adds of one token's forward pass through the weights (attention scores excluded).
    public var matmulParameterCount: Int {
        let c = config
        let perLayer = c.dim * (c.heads + 2 * c.kvHeads) * c.headDim + c.heads * c.headDim * c.dim + 3 * c.dim * c.hidden
        return c.layers * perLayer + c.vocabSize * c.dim
    }

    /// Training FLOPs per token at context `seqLen`: 6 per weight (forward 2, backward 4) plus attention's
    /// QKᵀ and PV, each 2 FLOPs per multiply-add forward and twice that backward, halved for causality.
    public func trainingFlopsPerToken(seqLen: Int) -> Double {
        let c = config
        let attention = 6.0 * 2 * Double(c.layers * c.heads * c.headDim) * Double(seqLen) / 2
        return 6 * Double(matmulParameterCount) + attention
    }
}
