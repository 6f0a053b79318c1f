import Foundation
import SeedModel
import SeedTensor
import SeedTrain
import XCTest

final class OptimizerTests: XCTestCase {
    func testScheduleWarmsUpThenDecaysToTheMinimum() {
        let s = LearningRateSchedule(peak: 1e-3, minimum: 1e-4, warmup: 10, total: 110)
        XCTAssertEqual(s.rate(at: 0), 1e-4, accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 9), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 10), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 60), 5.5e-4, accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 110), 1e-4, accuracy: 1e-12)
        for step in 10..<110 { XCTAssertGreaterThanOrEqual(s.rate(at: step), s.rate(at: step + 1)) }
    }

    /// AdamW against its textbook definition in float64, with decay on matrices and none on norm gains.
    func testAdamWMatchesTheReferenceUpdate() throws {
        let config = LlamaConfig(vocabSize: 5, dim: 4, layers: 1, heads: 2, kvHeads: 1, hidden: 6, context: 8, tieEmbeddings: true)
        let model = try LlamaModel(config: config)
        model.initializeWeights(seed: 1)
        let optimizer = AdamW(layout: model.layout, weightDecay: 0.1)
        let gradients = FloatBuffer(count: model.layout.count)
        var random = SeededRandom(seed: 2)
        let n = model.layout.count
        var p = (0..<n).map { Double(model.parameters[$0]) }
        var m = [Double](repeating: 0, count: n), v = m
        let decays = (0..<n).map { i in model.layout.tensors.first { i >= $0.offset && i < $0.offset + $0.count }!.decays }
        let lr = 0.01, b1 = 0.9, b2 = 0.95, eps = 1e-8
        for t in 1...3 {
            for i in 0..<n { gradients[i] = Float(random.nextNormal()) }
            optimizer.step(parameters: model.parameters, gradients: gradients, lr: Float(lr), t: t)
            for i in 0..<n {
                let g = Double(gradients[i])
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(b2, Double(t)))
                if decays[i] { p[i] *= 1 - lr * 0.1 }
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        for i in 0..<n { XCTAssertEqual(Double(model.parameters[i]), p[i], accuracy: 1e-5) }
    }
}
