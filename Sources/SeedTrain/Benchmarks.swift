import Foundation
import SeedModel
import SeedTensor

/// One benchmark figure, printed as a table row or as one JSON line.
public struct BenchmarkResult: Codable, Sendable {
    public var name: String
    public var gflops: Double
    public var refGflops: Double?
    public var refAvx512Gflops: Double?
    public var ratio: Double?
    public var tokensPerSecond: Double?
    public var mfu: Double?
    public var stepSeconds: Double?
    public var flopsPerToken: Double?
    public var peakGflops: Double?

    enum CodingKeys: String, CodingKey {
        case name, gflops, refGflops = "ref_gflops", refAvx512Gflops = "ref_avx512_gflops", ratio
        case tokensPerSecond = "tokens_per_s", mfu, stepSeconds = "step_s", flopsPerToken = "flops_per_token"
        case peakGflops = "peak_gflops"
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Absent figures are written as null, so every line has the same keys.
        var object = (try? JSONSerialization.jsonObject(with: encoder.encode(self))) as? [String: Any] ?? [:]
        for key in ["ref_gflops", "ratio"] where object[key] == nil { object[key] = NSNull() }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

public enum Benchmarks {
    /// The products of a GPT-2-small training step at 4096 tokens (forward and both backward forms) and a
    /// square product as the peak's yardstick.
    public static let trainingShapes: [GemmShape] = [
        GemmShape(name: "x·Wᵀ 4096×768×768", m: 4096, n: 768, k: 768, transB: true),
        GemmShape(name: "x·Wᵀ 4096×3072×768", m: 4096, n: 3072, k: 768, transB: true),
        GemmShape(name: "dY·W 4096×768×768", m: 4096, n: 768, k: 768),
        GemmShape(name: "dY·W 4096×768×3072", m: 4096, n: 768, k: 3072),
        GemmShape(name: "dYᵀ·X 768×768×4096", m: 768, n: 768, k: 4096, transA: true),
        GemmShape(name: "dYᵀ·X 3072×768×4096", m: 3072, n: 768, k: 4096, transA: true),
        GemmShape(name: "A·B 1024×1024×1024", m: 1024, n: 1024, k: 1024),
    ]

    /// The products of reading a 512-token prompt with a GPT-2-small-sized Llama (768 wide, SwiGLU 2048):
    /// what `seed generate` spends a long prompt on. The weights are packed on every call here, so these
    /// figures include that cost.
    public static let promptShapes: [GemmShape] = [
        GemmShape(name: "prompt qkv 512×2304×768", m: 512, n: 2304, k: 768, transB: true),
        GemmShape(name: "prompt out 512×768×768", m: 512, n: 768, k: 768, transB: true),
        GemmShape(name: "prompt gate-up 512×4096×768", m: 512, n: 4096, k: 768, transB: true),
        GemmShape(name: "prompt down 512×768×2048", m: 512, n: 768, k: 2048, transB: true),
    ]

    /// Seed's GEMM on each shape next to numpy's, measured in this run.
    public static func gemm(shapes: [GemmShape] = trainingShapes + promptShapes, seconds: Double = 0.5, withReference: Bool = true) -> [BenchmarkResult] {
        let peak = FMAPeak.measure()
        let ours = shapes.map { GemmBenchmark.measure($0, seconds: seconds) }
        let reference = withReference ? NumpyReference.measure(shapes, seconds: seconds) : nil
        let avx512 = withReference ? NumpyReference.measure(shapes, seconds: seconds, coreType: "SkylakeX") : nil
        let peakResult = BenchmarkResult(name: "fma peak (registers only)", gflops: peak, refGflops: nil, ratio: nil)
        return [peakResult] + shapes.indices.map { i in
            let ref = reference?[i]
            return BenchmarkResult(name: "gemm " + shapes[i].name, gflops: ours[i], refGflops: ref,
                                   refAvx512Gflops: avx512?[i], ratio: ref.map { ours[i] / $0 }, peakGflops: peak)
        }
    }

    /// The best GFLOP/s of Seed's GEMM on the training shapes: the peak that MFU is measured against.
    public static func gemmPeak(seconds: Double = 0.3) -> Double {
        trainingShapes.map { GemmBenchmark.measure($0, seconds: seconds) }.max() ?? 0
    }

    /// Times full training steps (forward, backward, AdamW) of a model of `config`'s shape on random tokens.
    public static func train(config: TrainingConfig, vocabularySize: Int, steps: Int, peakGflops: Double) throws -> BenchmarkResult {
        let modelConfig = config.modelConfig(vocabSize: vocabularySize)
        let model = try LlamaModel(config: modelConfig)
        model.initializeWeights(seed: config.seed)
        let pass = TrainingPass(model: model, batch: config.batch, seqLen: config.context)
        let gradients = FloatBuffer(count: model.layout.count)
        let optimizer = AdamW(layout: model.layout, weightDecay: Float(config.weightDecay))
        var random = SeededRandom(seed: config.seed)
        let count = config.batch * config.context
        let tokens = (0..<count).map { _ in Int32(random.nextIndex(below: vocabularySize)) }
        let targets = (0..<count).map { _ in Int32(random.nextIndex(below: vocabularySize)) }
        let optimizerStep = OptimizerStep(model: model, pass: pass, gradients: gradients, optimizer: optimizer,
                                          accum: config.accum, gradClip: config.gradClip)
        func step(_ t: Int) {
            tokens.withUnsafeBufferPointer { inputs in
                targets.withUnsafeBufferPointer { targets in
                    _ = optimizerStep.run(lr: config.lr, t: t) { (inputs.baseAddress!, targets.baseAddress!) }
                }
            }
        }
        step(1)
        let clock = ContinuousClock()
        let start = clock.now
        for t in 0..<steps { step(t + 2) }
        let seconds = (clock.now - start).seconds / Double(steps)
        let tokensPerStep = Double(count * config.accum)
        let flopsPerToken = model.trainingFlopsPerToken(seqLen: config.context)
        let gflops = flopsPerToken * tokensPerStep / seconds / 1e9
        return BenchmarkResult(name: "train \(config.layers)L×\(config.dim) ctx \(config.context) batch \(config.batch)",
                               gflops: gflops, refGflops: nil, ratio: nil, tokensPerSecond: tokensPerStep / seconds,
                               mfu: gflops / peakGflops, stepSeconds: seconds, flopsPerToken: flopsPerToken, peakGflops: peakGflops)
    }
}
