import SeedModel
import SeedTensor

/// One optimizer step, shared by the trainer and `seed bench train`: clear the gradient, accumulate
/// `accum` micro-batches (each scaled so that the step sees the mean over all their tokens), clip the
/// global norm, and apply AdamW.
struct OptimizerStep {
    let model: LlamaModel
    let pass: TrainingPass
    let gradients: FloatBuffer
    let optimizer: AdamW
    let accum: Int
    let gradClip: Double

    /// `nextBatch` fills and returns (inputs, targets) for one micro-batch. `t` is the 1-based step for
    /// Adam's bias corrections. Returns the mean loss and the gradient norm before clipping.
    func run(lr: Double, t: Int, nextBatch: () -> (UnsafePointer<Int32>, UnsafePointer<Int32>)) -> (loss: Double, norm: Double) {
        gradients.zero()
        var lossSum = 0.0, count = 0
        let scale = 1 / Float(pass.tokens * accum)
        for _ in 0..<accum {
            let (inputs, targets) = nextBatch()
            let result = pass.forwardBackward(tokens: inputs, targets: targets, gradScale: scale, gradients: gradients)
            lossSum += result.lossSum
            count += result.count
        }
        let norm = GradientMath.norm(gradients)
        if gradClip > 0 && norm > gradClip { GradientMath.scale(gradients, by: Float(gradClip / norm)) }
        optimizer.step(parameters: model.parameters, gradients: gradients, lr: Float(lr), t: t)
        return (lossSum / Double(max(1, count)), norm)
    }
}
