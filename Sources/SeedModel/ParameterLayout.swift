/// Where every weight lives in the model's one flat parameter buffer, under its Hugging Face name.
///
/// The query, key and value projections of a layer sit next to each other, and so do the gate and up
/// projections: a layer then runs one GEMM for q/k/v and one for gate/up, while the safetensors file still
/// holds the separate `q_proj`, `k_proj`, ... tensors that Hugging Face expects.
public struct ParameterLayout: Sendable {
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let offset: Int
        public let shape: [Int]
        /// Matrices are decayed by AdamW; norms' gains are not.
        public let decays: Bool
        public var count: Int { shape.reduce(1, *) }
    }

    /// Offsets of one block's weights in the flat buffer.
    public struct Block: Sendable {
        public let attentionNorm: Int, qkv: Int, output: Int, mlpNorm: Int, gateUp: Int, down: Int
    }

    public let tensors: [Tensor]
    public let blocks: [Block]
    public let embedding: Int
    public let finalNorm: Int
    /// The LM head's offset: the embedding's when tied.
    public let head: Int
    public let count: Int

    public init(_ c: LlamaConfig) {
        var tensors: [Tensor] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], decays: Bool) -> Int {
            let start = offset
            tensors.append(Tensor(name: name, offset: start, shape: shape, decays: decays))
            offset += shape.reduce(1, *)
            return start
        }
        let qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim
        embedding = add("model.embed_tokens.weight", [c.vocabSize, c.dim], decays: true)
        var blocks: [Block] = []
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            let attentionNorm = add(p + "input_layernorm.weight", [c.dim], decays: false)
            let qkv = add(p + "self_attn.q_proj.weight", [qDim, c.dim], decays: true)
            _ = add(p + "self_attn.k_proj.weight", [kvDim, c.dim], decays: true)
            _ = add(p + "self_attn.v_proj.weight", [kvDim, c.dim], decays: true)
            let output = add(p + "self_attn.o_proj.weight", [c.dim, qDim], decays: true)
            let mlpNorm = add(p + "post_attention_layernorm.weight", [c.dim], decays: false)
            let gateUp = add(p + "mlp.gate_proj.weight", [c.hidden, c.dim], decays: true)
            _ = add(p + "mlp.up_proj.weight", [c.hidden, c.dim], decays: true)
            let down = add(p + "mlp.down_proj.weight", [c.dim, c.hidden], decays: true)
            blocks.append(Block(attentionNorm: attentionNorm, qkv: qkv, output: output, mlpNorm: mlpNorm, gateUp: gateUp, down: down))
        }
        finalNorm = add("model.norm.weight", [c.dim], decays: false)
        head = c.tieEmbeddings ? embedding : add("lm_head.weight", [c.vocabSize, c.dim], decays: true)
        self.tensors = tensors
        self.blocks = blocks
        count = offset
    }
}
