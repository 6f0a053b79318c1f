import SeedTensor

/// The activations that one forward pass keeps for its backward pass, sized for a fixed batch and context,
/// and the code of both passes. Backward is written out per layer (no autograd): each step names the
/// product it computes, so that FLOPs and memory traffic can be counted.
public final class TrainingPass {
    public let model: LlamaModel
    public let batch: Int
    public let seqLen: Int
    public var tokens: Int { batch * seqLen }

    struct LayerActivations {
        let normed1: FloatBuffer, rstd1: FloatBuffer, qkv: FloatBuffer, attention: FloatBuffer, lse: FloatBuffer
        let normed2: FloatBuffer, rstd2: FloatBuffer, gateUp: FloatBuffer, activated: FloatBuffer
    }

    /// residual[l] is block l's input; residual[layers] feeds the final norm. middle[l] is after attention.
    let residual: [FloatBuffer]
    let middle: [FloatBuffer]
    let layers: [LayerActivations]
    let finalNormed: FloatBuffer, finalRstd: FloatBuffer
    public let logits: FloatBuffer
    // Gradient scratch, reused by every layer.
    let dResidual: FloatBuffer, dNormed: FloatBuffer, dQKV: FloatBuffer, dAttention: FloatBuffer
    let dGateUp: FloatBuffer, dActivated: FloatBuffer
    let inputTokens: UnsafeMutablePointer<Int32>

    public init(model: LlamaModel, batch: Int, seqLen: Int) {
        let c = model.config
        self.model = model
        self.batch = batch
        self.seqLen = seqLen
        let m = batch * seqLen
        let qDim = c.heads * c.headDim, qkvDim = (c.heads + 2 * c.kvHeads) * c.headDim
        residual = (0...c.layers).map { _ in FloatBuffer(count: m * c.dim) }
        middle = (0..<c.layers).map { _ in FloatBuffer(count: m * c.dim) }
        layers = (0..<c.layers).map { _ in
            LayerActivations(
                normed1: FloatBuffer(count: m * c.dim), rstd1: FloatBuffer(count: m),
                qkv: FloatBuffer(count: m * qkvDim), attention: FloatBuffer(count: m * qDim),
                lse: FloatBuffer(count: batch * c.heads * seqLen),
                normed2: FloatBuffer(count: m * c.dim), rstd2: FloatBuffer(count: m),
                gateUp: FloatBuffer(count: m * 2 * c.hidden), activated: FloatBuffer(count: m * c.hidden))
        }
        finalNormed = FloatBuffer(count: m * c.dim)
        finalRstd = FloatBuffer(count: m)
        logits = FloatBuffer(count: m * c.vocabSize)
        dResidual = FloatBuffer(count: m * c.dim)
        dNormed = FloatBuffer(count: m * c.dim)
        dQKV = FloatBuffer(count: m * qkvDim)
        dAttention = FloatBuffer(count: m * qDim)
        dGateUp = FloatBuffer(count: m * 2 * c.hidden)
        dActivated = FloatBuffer(count: m * c.hidden)
        inputTokens = .allocate(capacity: m)
    }

    deinit { inputTokens.deallocate() }

    /// Runs the forward pass over `tokens` (batch × seqLen ids) and leaves the logits in `logits`.
    public func forward(tokens: UnsafePointer<Int32>) {
        let c = model.config
        let count = self.tokens
        inputTokens.update(from: tokens, count: count)
        let embedding = model.pointer(model.layout.embedding)
        for i in 0..<count {
            (residual[0].pointer + i * c.dim).update(from: embedding + Int(inputTokens[i]) * c.dim, count: c.dim)
        }
        for l in 0..<c.layers { forwardBlock(l) }
        RMSNorm.forward(x: residual[c.layers].pointer, weight: model.pointer(model.layout.finalNorm),
                        out: finalNormed.pointer, rstd: finalRstd.pointer, rows: count, dim: c.dim, eps: Float(c.normEps))
        Gemm.matmulTransposedB(finalNormed.pointer, model.pointer(model.layout.head), logits.pointer,
                               m: count, n: c.vocabSize, k: c.dim)
    }

    private func forwardBlock(_ l: Int) {
        let c = model.config
        let block = model.layout.blocks[l]
        let a = layers[l]
        let m = tokens, d = c.dim, hd = c.headDim
        let qDim = c.heads * hd, qkvDim = (c.heads + 2 * c.kvHeads) * hd
        let x = residual[l].pointer, mid = middle[l].pointer, out = residual[l + 1].pointer

        RMSNorm.forward(x: x, weight: model.pointer(block.attentionNorm), out: a.normed1.pointer, rstd: a.rstd1.pointer,
                        rows: m, dim: d, eps: Float(c.normEps))
        Gemm.matmulTransposedB(a.normed1.pointer, model.pointer(block.qkv), a.qkv.pointer, m: m, n: qkvDim, k: d)
        model.rope.forward(a.qkv.pointer, batch: batch, seqLen: seqLen, heads: c.heads, stride: qkvDim)
        model.rope.forward(a.qkv.pointer + qDim, batch: batch, seqLen: seqLen, heads: c.kvHeads, stride: qkvDim)
        Attention.forward(q: a.qkv.pointer, k: a.qkv.pointer + qDim, v: a.qkv.pointer + qDim + c.kvHeads * hd,
                          out: a.attention.pointer, lse: a.lse.pointer, batch: batch, queryLen: seqLen, keyLen: seqLen,
                          kvCapacity: seqLen, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                          qStride: qkvDim, kvStride: qkvDim, outStride: qDim, scale: 1 / Float(hd).squareRoot())
        mid.update(from: x, count: m * d)
        Gemm.matmulTransposedB(a.attention.pointer, model.pointer(block.output), mid, m: m, n: d, k: qDim, accumulate: true)

        RMSNorm.forward(x: mid, weight: model.pointer(block.mlpNorm), out: a.normed2.pointer, rstd: a.rstd2.pointer,
                        rows: m, dim: d, eps: Float(c.normEps))
        Gemm.matmulTransposedB(a.normed2.pointer, model.pointer(block.gateUp), a.gateUp.pointer, m: m, n: 2 * c.hidden, k: d)
        Activations.swiGLUForward(gateUp: a.gateUp.pointer, out: a.activated.pointer, rows: m, hidden: c.hidden)
        out.update(from: mid, count: m * d)
        Gemm.matmulTransposedB(a.activated.pointer, model.pointer(block.down), out, m: m, n: d, k: c.hidden, accumulate: true)
    }

    /// Cross-entropy of the logits against `targets` (a negative target is ignored), turning `logits` into
    /// their gradient scaled by `gradScale`. Returns the summed loss and the number of counted targets.
    public func lossAndLogitGradient(targets: UnsafePointer<Int32>, gradScale: Float) -> (lossSum: Double, count: Int) {
        CrossEntropy.forwardBackward(logits: logits.pointer, targets: targets, rows: tokens,
                                     vocab: model.config.vocabSize, gradScale: gradScale)
    }

    /// Loss only, logits untouched (validation).
    public func loss(targets: UnsafePointer<Int32>) -> (lossSum: Double, count: Int) {
        CrossEntropy.loss(logits: logits.pointer, targets: targets, rows: tokens, vocab: model.config.vocabSize)
    }

    /// Forward, loss and backward: adds this batch's gradient (scaled by `gradScale`) into `gradients`,
    /// which has the parameter buffer's layout.
    public func forwardBackward(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, gradScale: Float,
                                gradients: FloatBuffer) -> (lossSum: Double, count: Int) {
        forward(tokens: tokens)
        let result = lossAndLogitGradient(targets: targets, gradScale: gradScale)
        backward(gradients: gradients)
        return result
    }

    /// Backward from the logit gradient left in `logits` by `lossAndLogitGradient`.
    public func backward(gradients: FloatBuffer) {
        let c = model.config
        let m = tokens, d = c.dim
        let g = gradients.pointer
        let layout = model.layout
        // Head: dW_head += dLogitsᵀ · normed; dNormed = dLogits · W_head.
        Gemm.matmulTransposedA(logits.pointer, finalNormed.pointer, g + layout.head, m: c.vocabSize, n: d, k: m, accumulate: true)
        Gemm.matmul(logits.pointer, model.pointer(layout.head), dNormed.pointer, m: m, n: d, k: c.vocabSize)
        dResidual.zero()
        RMSNorm.backward(dOut: dNormed.pointer, x: residual[c.layers].pointer, weight: model.pointer(layout.finalNorm),
                         rstd: finalRstd.pointer, dX: dResidual.pointer, dWeight: g + layout.finalNorm, rows: m, dim: d)
        for l in stride(from: c.layers - 1, through: 0, by: -1) { backwardBlock(l, gradients: g) }
        let dEmbedding = g + layout.embedding
        for i in 0..<m {
            let row = dEmbedding + Int(inputTokens[i]) * d
            let source = dResidual.pointer + i * d
            for j in 0..<d { row[j] += source[j] }
        }
    }

    private func backwardBlock(_ l: Int, gradients g: UnsafeMutablePointer<Float>) {
        let c = model.config
        let block = model.layout.blocks[l]
        let a = layers[l]
        let m = tokens, d = c.dim, hd = c.headDim, hidden = c.hidden
        let qDim = c.heads * hd, qkvDim = (c.heads + 2 * c.kvHeads) * hd
        let dx = dResidual.pointer

        // MLP: out = mid + act · W_downᵀ, act = swiglu(normed2 · W_gateUpᵀ).
        Gemm.matmul(dx, model.pointer(block.down), dActivated.pointer, m: m, n: hidden, k: d)
        Gemm.matmulTransposedA(dx, a.activated.pointer, g + block.down, m: d, n: hidden, k: m, accumulate: true)
        Activations.swiGLUBackward(dOut: dActivated.pointer, gateUp: a.gateUp.pointer, dGateUp: dGateUp.pointer,
                                   rows: m, hidden: hidden)
        Gemm.matmul(dGateUp.pointer, model.pointer(block.gateUp), dNormed.pointer, m: m, n: d, k: 2 * hidden)
        Gemm.matmulTransposedA(dGateUp.pointer, a.normed2.pointer, g + block.gateUp, m: 2 * hidden, n: d, k: m, accumulate: true)
        RMSNorm.backward(dOut: dNormed.pointer, x: middle[l].pointer, weight: model.pointer(block.mlpNorm), rstd: a.rstd2.pointer,
                         dX: dx, dWeight: g + block.mlpNorm, rows: m, dim: d)

        // Attention: mid = x + attention · W_oᵀ.
        Gemm.matmul(dx, model.pointer(block.output), dAttention.pointer, m: m, n: qDim, k: d)
        Gemm.matmulTransposedA(dx, a.attention.pointer, g + block.output, m: d, n: qDim, k: m, accumulate: true)
        let q = a.qkv.pointer, k = q + qDim, v = k + c.kvHeads * hd
        let dq = dQKV.pointer, dk = dq + qDim, dv = dk + c.kvHeads * hd
        Attention.backward(dOut: dAttention.pointer, q: q, k: k, v: v, out: a.attention.pointer, lse: a.lse.pointer,
                           dQ: dq, dK: dk, dV: dv, batch: batch, seqLen: seqLen, qHeads: c.heads, kvHeads: c.kvHeads,
                           headDim: hd, qStride: qkvDim, kvStride: qkvDim, outStride: qDim, scale: 1 / Float(hd).squareRoot())
        model.rope.backward(dq, batch: batch, seqLen: seqLen, heads: c.heads, stride: qkvDim)
        model.rope.backward(dk, batch: batch, seqLen: seqLen, heads: c.kvHeads, stride: qkvDim)
        Gemm.matmul(dQKV.pointer, model.pointer(block.qkv), dNormed.pointer, m: m, n: d, k: qkvDim)
        Gemm.matmulTransposedA(dQKV.pointer, a.normed1.pointer, g + block.qkv, m: qkvDim, n: d, k: m, accumulate: true)
        RMSNorm.backward(dOut: dNormed.pointer, x: residual[l].pointer, weight: model.pointer(block.attentionNorm),
                         rstd: a.rstd1.pointer, dX: dx, dWeight: g + block.attentionNorm, rows: m, dim: d)
    }
}
