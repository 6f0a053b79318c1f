import ArgumentParser
import SeedTrain

/// The model's shape, shared by `seed train` and `seed bench train`.
struct ModelShapeOptions: ParsableArguments {
    @Option(help: "Transformer blocks.") var layers: Int?
    @Option(help: "Attention heads.") var heads: Int?
    @Option(name: .customLong("kv-heads"), help: "Key/value heads (grouped-query attention); default: --heads.") var kvHeads: Int?
    @Option(help: "Model width.") var dim: Int?
    @Option(help: "SwiGLU hidden width; default: 8/3·dim rounded up to 32.") var hidden: Int?
    @Option(help: "Context length in tokens.") var context: Int?
    @Option(help: "Sequences per micro-batch.") var batch: Int?

    var anySet: Bool { [layers, heads, kvHeads, dim, hidden, context, batch].contains { $0 != nil } }

    func apply(to c: inout TrainingConfig) {
        if let layers { c.layers = layers }
        if let heads { c.heads = heads }
        if let kvHeads { c.kvHeads = kvHeads }
        if let dim { c.dim = dim }
        if let hidden { c.hidden = hidden }
        if let context { c.context = context }
        if let batch { c.batch = batch }
    }
}

struct OptimisationOptions: ParsableArguments {
    @Option(help: "Micro-batches per optimizer step (gradient accumulation).") var accum: Int?
    @Option(help: "Optimizer steps.") var steps: Int?
    @Option(help: "Peak learning rate.") var lr: Double?
    @Option(name: .customLong("min-lr"), help: "Final learning rate of the cosine decay; default: lr/10.") var minLr: Double?
    @Option(help: "Warmup steps.") var warmup: Int?
    @Option(name: .customLong("weight-decay"), help: "AdamW's decoupled weight decay.") var weightDecay: Double?
    @Option(name: .customLong("grad-clip"), help: "Clip the gradient's global norm to this (0: off).") var gradClip: Double?
    @Option(name: .customLong("eval-every"), help: "Validate every N steps (0: never).") var evalEvery: Int?
    @Option(name: .customLong("eval-batches"), help: "Batches per validation.") var evalBatches: Int?
    @Option(name: .customLong("save-every"), help: "Save the state every N steps (and at the end).") var saveEvery: Int?
    @Option(help: "Seed of every random choice (weights, data order).") var seed: UInt64?

    var anySetBesidesSteps: Bool {
        [accum, warmup, evalEvery, evalBatches, saveEvery].contains { $0 != nil }
            || [lr, minLr, weightDecay, gradClip].contains { $0 != nil } || seed != nil
    }

    func apply(to c: inout TrainingConfig) {
        if let accum { c.accum = accum }
        if let steps { c.steps = steps }
        if let lr { c.lr = lr }
        if let minLr { c.minLr = minLr }
        if let warmup { c.warmup = warmup }
        if let weightDecay { c.weightDecay = weightDecay }
        if let gradClip { c.gradClip = gradClip }
        if let evalEvery { c.evalEvery = evalEvery }
        if let evalBatches { c.evalBatches = evalBatches }
        if let saveEvery { c.saveEvery = saveEvery }
        if let seed { c.seed = seed }
    }
}
