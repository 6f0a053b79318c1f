import Foundation
import SeedModel
import SeedTensor
import XCTest

final class ModelTests: XCTestCase {
    func tinyConfig(tied: Bool, kvHeads: Int = 1) -> LlamaConfig {
        LlamaConfig(vocabSize: 11, dim: 8, layers: 2, heads: 2, kvHeads: kvHeads, hidden: 12, context: 16,
                    normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: tied, bosTokenId: nil, eosTokenId: nil)
    }

    /// Weights larger than the training init, so that every gradient is well above float32 noise.
    func makeModel(_ config: LlamaConfig, seed: UInt64) throws -> LlamaModel {
        let model = try LlamaModel(config: config)
        var random = SeededRandom(seed: seed)
        for t in model.layout.tensors {
            for i in 0..<t.count {
                let base: Double = t.decays ? 0 : 1
                model.parameters[t.offset + i] = Float(base + random.nextNormal() * 0.4)
            }
        }
        return model
    }

    func randomTokens(_ count: Int, vocab: Int, seed: UInt64) -> [Int32] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Int32(random.nextIndex(below: vocab)) }
    }

    /// Central differences of the mean loss, in float32 but on weights and a step large enough to be clean.
    func testGradientsMatchFiniteDifferencesForEveryParameterKind() throws {
        for (tied, kvHeads) in [(true, 1), (false, 2)] {
            let config = tinyConfig(tied: tied, kvHeads: kvHeads)
            let model = try makeModel(config, seed: 3)
            let batch = 2, seqLen = 5
            let pass = TrainingPass(model: model, batch: batch, seqLen: seqLen)
            let tokens = randomTokens(batch * seqLen, vocab: config.vocabSize, seed: 4)
            var targets = randomTokens(batch * seqLen, vocab: config.vocabSize, seed: 5)
            targets[3] = -1 // an ignored position must not contribute
            let counted = Float(targets.filter { $0 >= 0 }.count)
            let gradients = FloatBuffer(count: model.layout.count)
            _ = pass.forwardBackward(tokens: tokens, targets: targets, gradScale: 1 / counted, gradients: gradients)

            func loss() -> Double {
                pass.forward(tokens: tokens)
                let r = pass.loss(targets: targets)
                return r.lossSum / Double(r.count)
            }
            var random = SeededRandom(seed: 9)
            var sizable = 0, checked = 0
            for tensor in model.layout.tensors {
                for _ in 0..<3 {
                    let index = tensor.offset + random.nextIndex(below: tensor.count)
                    let saved = model.parameters[index]
                    let h: Float = 1e-2
                    model.parameters[index] = saved + h
                    let up = loss()
                    model.parameters[index] = saved - h
                    let down = loss()
                    model.parameters[index] = saved
                    let numeric = (up - down) / (2 * Double(h))
                    let analytic = Double(gradients[index])
                    checked += 1
                    if abs(analytic) > 1e-3 { sizable += 1 }
                    XCTAssertEqual(analytic, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric),
                                   "\(tensor.name)[\(index - tensor.offset)] tied=\(tied)")
                }
            }
            XCTAssertGreaterThan(sizable, checked * 3 / 4, "most checked gradients should be well above zero")
        }
    }

    func testIncrementalDecodingMatchesTheFullForwardPass() throws {
        let config = tinyConfig(tied: false, kvHeads: 1)
        let model = try makeModel(config, seed: 11)
        let seqLen = 13
        let tokens = randomTokens(seqLen, vocab: config.vocabSize, seed: 12)
        let pass = TrainingPass(model: model, batch: 1, seqLen: seqLen)
        pass.forward(tokens: tokens)
        let session = InferenceSession(model: model, chunk: 4)
        // A prompt of 6 (fed in chunks of 4), then one token at a time.
        var logits = Array(try session.feed(Array(tokens[0..<6])))
        for position in 5..<seqLen {
            let full = Array(UnsafeBufferPointer(start: pass.logits.pointer + position * config.vocabSize, count: config.vocabSize))
            for v in 0..<config.vocabSize {
                XCTAssertEqual(logits[v], full[v], accuracy: 1e-4 * (1 + abs(full[v])), "position \(position)")
            }
            if position + 1 < seqLen { logits = Array(try session.feed([tokens[position + 1]])) }
        }
        XCTAssertThrowsError(try session.feed([Int32(config.vocabSize)]))
    }

    func testSaveAndLoadGiveTheSameModelUnderHuggingFaceNames() throws {
        let config = tinyConfig(tied: false, kvHeads: 2)
        let model = try makeModel(config, seed: 21)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-model-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ModelFolder.save(model, to: folder)
        let loaded = try ModelFolder.load(folder)
        XCTAssertEqual(loaded.config, config)
        XCTAssertEqual(loaded.parameters.array, model.parameters.array)
        let file = try SafeTensors(contentsOf: folder.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(file.contains("model.layers.1.self_attn.k_proj.weight"))
        XCTAssertEqual(try file.shape(of: "model.layers.0.mlp.down_proj.weight"), [8, 12])
        XCTAssertTrue(file.contains("lm_head.weight"))
        for name in ["config.json", "generation_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path))
        }
    }

    func testSamplingIsSeededAndRespectsTopK() throws {
        let logits: [Float] = [0.1, 2.0, 1.9, -1, 0.5]
        func draw(_ p: SamplingParameters, _ n: Int) -> [Int32] {
            var sampler = Sampler(p)
            return logits.withUnsafeBufferPointer { buffer in (0..<n).map { _ in sampler.sample(buffer) } }
        }
        let p = SamplingParameters(temperature: 1, topK: 2, seed: 5)
        XCTAssertEqual(draw(p, 50), draw(p, 50))
        XCTAssertEqual(Set(draw(p, 200)), [1, 2])
        XCTAssertEqual(Set(draw(SamplingParameters(temperature: 0), 5)), [1])
        XCTAssertEqual(Set(draw(SamplingParameters(temperature: 1, topP: 0.3, seed: 1), 100)), [1])
        XCTAssertNotEqual(draw(SamplingParameters(temperature: 1, seed: 1), 40), draw(SamplingParameters(temperature: 1, seed: 2), 40))
    }

    /// Top-k by selection and top-p over the likely tokens only must draw what sorting the whole
    /// vocabulary draws, token for token: peaked, flat and tied logits, with every filter combination.
    func testSamplingFiltersMatchAFullSort() {
        var rng = SeededRandom(seed: 11)
        for round in 0..<24 {
            let count = [5, 300, 5000][round % 3]
            let spread: Float = [0.01, 1, 8][round / 3 % 3]
            var logits = (0..<count).map { _ in Float(rng.nextUniform() * 2 - 1) * spread }
            if round % 4 == 0 { for i in stride(from: 0, to: count, by: 3) { logits[i] = logits[0] } }
            for (topK, topP) in [(nil, 0.9), (40, nil), (40, 0.5), (nil, 0.999), (count - 1, 0.2)] as [(Int?, Float?)] {
                let parameters = SamplingParameters(temperature: 0.7, topK: topK, topP: topP, seed: UInt64(round))
                var sampler = Sampler(parameters)
                var reference = SortingSampler(parameters: parameters, random: SeededRandom(seed: UInt64(round)))
                logits.withUnsafeBufferPointer { buffer in
                    for _ in 0..<20 { XCTAssertEqual(sampler.sample(buffer), reference.sample(buffer), "round \(round) k \(topK as Any) p \(topP as Any)") }
                }
            }
        }
    }
}

/// The sampler as first written: both filters sort the whole vocabulary.
private struct SortingSampler {
    let parameters: SamplingParameters
    var random: SeededRandom

    mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var candidates = Array(0..<logits.count)
        if let k = parameters.topK, k > 0, k < logits.count {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates.removeLast(logits.count - k)
        }
        let top = candidates.map { Double(logits[$0]) }.max() ?? 0
        let inverseTemperature = 1 / Double(parameters.temperature)
        var weights = candidates.map { exp((Double(logits[$0]) - top) * inverseTemperature) }
        if let p = parameters.topP, p > 0, p < 1 {
            let order = weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
            let total = weights.reduce(0, +)
            var kept = 0.0
            var keep = [Bool](repeating: false, count: weights.count)
            for i in order {
                keep[i] = true
                kept += weights[i]
                if kept >= Double(p) * total { break }
            }
            for i in weights.indices where !keep[i] { weights[i] = 0 }
        }
        let total = weights.reduce(0, +)
        var target = random.nextUniform() * total
        for (i, w) in weights.enumerated() where w > 0 {
            target -= w
            if target < 0 { return Int32(candidates[i]) }
        }
        return Int32(candidates[weights.lastIndex { $0 > 0 } ?? 0])
    }
}
