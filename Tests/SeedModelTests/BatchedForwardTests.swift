import Foundation
@testable import SeedModel
import SeedTensor
import XCTest

final class BatchedForwardTests: XCTestCase {
    let config = LlamaConfig(vocabSize: 37, dim: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 48, context: 40)

    func makeModel(seed: UInt64) throws -> LlamaModel {
        let model = try LlamaModel(config: config)
        var random = SeededRandom(seed: seed)
        for t in model.layout.tensors {
            for i in 0..<t.count { model.parameters[t.offset + i] = Float((t.decays ? 0 : 1) + random.nextNormal() * 0.3) }
        }
        return model
    }

    func randomTokens(_ count: Int, seed: UInt64) -> [Int32] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Int32(random.nextIndex(below: config.vocabSize)) }
    }

    func testDecodeMatmulMatchesTheFloat64Reference() {
        var random = SeededRandom(seed: 1)
        for (m, n, k) in [(1, 1, 1), (1, 7, 33), (3, 13, 64), (5, 64, 100), (16, 9, 31), (2, 130, 768), (8, 130, 768), (40, 50, 2100)] {
            let x = (0..<(m * k)).map { _ in Float(random.nextNormal()) }
            let w = (0..<(n * k)).map { _ in Float(random.nextNormal()) }
            var expected = [Double](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { for p in 0..<k { expected[i * n + j] += Double(x[i * k + p]) * Double(w[j * k + p]) } } }
            for accumulate in [false, true] {
                var y = [Float](repeating: accumulate ? 1 : .nan, count: m * n)
                multiply(x, w, &y, rows: m, outputs: n, inputs: k, accumulate: accumulate)
                for i in 0..<(m * n) {
                    let want = expected[i] + (accumulate ? 1 : 0)
                    XCTAssertEqual(Double(y[i]), want, accuracy: 1e-4 * Double(k).squareRoot() * (1 + abs(want)), "m=\(m) n=\(n) k=\(k) [\(i)]")
                }
            }
        }
    }

    func testDecodeMatmulGivesTheSameBitsWhateverTheNumberOfRows() {
        var random = SeededRandom(seed: 2)
        // Every mix of the 8-, 4-, 2- and 1-row kernels, on one thread and on the pool, with a partial
        // last panel (101 outputs) and with whole panels only (64).
        for (n, k) in [(11, 70), (101, 700), (64, 2100)] {
            for rows in [2, 3, 4, 5, 6, 7, 8, 15, 17] {
                assertSameBitsAlone(rows: rows, n: n, k: k, random: &random)
            }
        }
    }

    /// `DecodeMatmul` on `w [n, k]`, packed into panels first.
    func multiply(_ x: [Float], _ w: [Float], _ y: inout [Float], rows: Int, outputs n: Int, inputs k: Int, accumulate: Bool) {
        var panels = [Float](repeating: .nan, count: WeightPanels.floatCount(outputs: n, inputs: k))
        panels.withUnsafeMutableBufferPointer { DecodeMatmul.pack(w, outputs: n, inputs: k, into: $0.baseAddress!) }
        panels.withUnsafeBufferPointer { p in
            DecodeMatmul.multiply(x, WeightPanels(pointer: p.baseAddress!, outputs: n, inputs: k), &y, rows: rows, accumulate: accumulate)
        }
    }

    func assertSameBitsAlone(rows: Int, n: Int, k: Int, random: inout SeededRandom) {
        let x = (0..<(rows * k)).map { _ in Float(random.nextNormal()) }
        let w = (0..<(n * k)).map { _ in Float(random.nextNormal()) }
        var together = [Float](repeating: 0, count: rows * n)
        multiply(x, w, &together, rows: rows, outputs: n, inputs: k, accumulate: false)
        for i in 0..<rows {
            var alone = [Float](repeating: 0, count: n)
            multiply(Array(x[(i * k)..<((i + 1) * k)]), w, &alone, rows: 1, outputs: n, inputs: k, accumulate: false)
            XCTAssertEqual(alone, Array(together[(i * n)..<((i + 1) * n)]))
        }
    }

    /// Three sequences of different lengths decode together in one step and get what they get alone.
    func testABatchedStepGivesEachSequenceItsOwnLogits() throws {
        let model = try makeModel(seed: 3)
        let prompts = [randomTokens(5, seed: 4), randomTokens(1, seed: 5), randomTokens(12, seed: 6)]
        let next: [[Int32]] = [randomTokens(4, seed: 7), randomTokens(4, seed: 8), randomTokens(4, seed: 9)]
        let batch = BatchedForward(model: model, rowCapacity: 18)
        let caches = prompts.map { KVCache(config: config, capacity: $0.count + 4) }
        _ = try batch.run(zip(caches, prompts).map { SequenceChunk(cache: $0, tokens: $1, logits: .none) })
        for step in 0..<4 {
            let ranges = try batch.run(caches.indices.map { SequenceChunk(cache: caches[$0], tokens: [next[$0][step]], logits: .last) })
            for s in prompts.indices {
                let session = InferenceSession(model: model, chunk: 4)
                let alone = Array(try session.feed(prompts[s] + next[s][...step]))
                XCTAssertEqual(ranges[s].count, 1)
                let row = Array(UnsafeBufferPointer(start: batch.logits.pointer + ranges[s].lowerBound * config.vocabSize, count: config.vocabSize))
                for v in 0..<config.vocabSize {
                    XCTAssertEqual(row[v], alone[v], accuracy: 1e-4 * (1 + abs(alone[v])), "sequence \(s) step \(step)")
                }
            }
        }
        XCTAssertEqual(caches.map(\.length), prompts.map { $0.count + 4 })
        XCTAssertThrowsError(try batch.run([SequenceChunk(cache: caches[0], tokens: [1], logits: .last)]), "the cache is full")
    }

    /// With float16 caches, tokens decoded one at a time (next to another sequence) get the very bits of
    /// the same tokens read as one prompt chunk, since both read the keys and values as stored; and the
    /// logits stay near the full forward pass's, off by float16's rounding of the keys and values.
    func testFloat16CachesDecodeAsPromptsReadAndNearTheFullPass() throws {
        let model = try makeModel(seed: 40)
        let tokens = randomTokens(14, seed: 41)
        let pass = TrainingPass(model: model, batch: 1, seqLen: tokens.count)
        pass.forward(tokens: tokens)
        let batch = BatchedForward(model: model, rowCapacity: 16)
        let whole = KVCache(config: config, capacity: tokens.count, precision: .float16)
        _ = try batch.run([SequenceChunk(cache: whole, tokens: tokens, logits: .all)])
        let prompted = Array(UnsafeBufferPointer(start: batch.logits.pointer, count: tokens.count * config.vocabSize))
        let cache = KVCache(config: config, capacity: tokens.count, precision: .float16)
        let other = KVCache(config: config, capacity: tokens.count, precision: .float16)
        var decoded: [Float] = []
        for (i, token) in tokens.enumerated() {
            let ranges = try batch.run([SequenceChunk(cache: other, tokens: [tokens[(5 * i) % tokens.count]], logits: .last),
                                        SequenceChunk(cache: cache, tokens: [token], logits: .last)])
            decoded += Array(UnsafeBufferPointer(start: batch.logits.pointer + ranges[1].lowerBound * config.vocabSize, count: config.vocabSize))
        }
        XCTAssertEqual(decoded.map(\.bitPattern), prompted.map(\.bitPattern))
        var largest: Float = 0
        for (i, logit) in prompted.enumerated() { largest = max(largest, abs(logit - pass.logits[i]) / (1 + abs(pass.logits[i]))) }
        XCTAssertLessThan(largest, 1e-2)
        XCTAssertGreaterThan(largest, 1e-6, "float16 keys and values must round: the logits equal float32's")
    }

    /// A cache copies a prefix only from a cache of its own precision.
    func testCopyingAPrefixKeepsEveryPositionInFloat16() throws {
        let model = try makeModel(seed: 42)
        let tokens = randomTokens(9, seed: 43)
        let batch = BatchedForward(model: model, rowCapacity: 16)
        let source = KVCache(config: config, capacity: 12, precision: .float16)
        _ = try batch.run([SequenceChunk(cache: source, tokens: tokens, logits: .none)])
        let copy = KVCache(config: config, capacity: 20, precision: .float16), read = KVCache(config: config, capacity: 10, precision: .float16)
        copy.copyPrefix(of: source, count: tokens.count)
        _ = try batch.run([SequenceChunk(cache: read, tokens: tokens, logits: .none)])
        var logits: [[UInt32]] = []
        for cache in [copy, read] {
            let ranges = try batch.run([SequenceChunk(cache: cache, tokens: [5], logits: .last)])
            logits.append(Array(UnsafeBufferPointer(start: batch.logits.pointer + ranges[0].lowerBound * config.vocabSize, count: config.vocabSize)).map(\.bitPattern))
        }
        XCTAssertEqual(logits[0], logits[1])
    }

    /// A step on the calling thread alone gives the bits the pool gives: the engine picks either by the
    /// step's size, and a sequence's tokens must not depend on what else shares its steps.
    func testAStepGivesTheSameBitsOnOneThreadAsOnThePool() throws {
        let large = LlamaConfig(vocabSize: 300, dim: 128, layers: 2, heads: 4, kvHeads: 2, hidden: 352, context: 200)
        let model = try LlamaModel(config: large)
        model.initializeWeights(seed: 12)
        // A 140-token prompt takes the packed GEMM; eight single tokens, the decoding kernel and attention
        // spread by sequence. Both are large enough to be split on the pool.
        let prompts = [randomTokens(140, seed: 13)] + (0..<7).map { randomTokens(3 + $0, seed: 14 + UInt64($0)) }
        var logits: [[Float]] = []
        for pool in [ThreadPool.shared, ThreadPool.inline] {
            let batch = BatchedForward(model: model, rowCapacity: 200)
            let caches = prompts.map { KVCache(config: large, capacity: $0.count + 3) }
            var rows: [Float] = []
            var ranges = try batch.run(zip(caches, prompts).map { SequenceChunk(cache: $0, tokens: $1, logits: .last) }, pool: pool)
            rows += Array(UnsafeBufferPointer(start: batch.logits.pointer, count: ranges.count * large.vocabSize))
            for step in 0..<3 {
                let tokens = randomTokens(caches.count, seed: 30 + UInt64(step))
                ranges = try batch.run(caches.indices.map { SequenceChunk(cache: caches[$0], tokens: [tokens[$0]], logits: .last) }, pool: pool)
                rows += Array(UnsafeBufferPointer(start: batch.logits.pointer, count: ranges.count * large.vocabSize))
            }
            logits.append(rows)
        }
        XCTAssertGreaterThan(ThreadPool.shared.threadCount, 1, "the pool must have threads to split on")
        XCTAssertEqual(logits[0].count, 4 * 8 * 300)
        XCTAssertTrue(logits[0] == logits[1], "logits differ between the pool and one thread")
    }

    /// Every position's logits, as prompt scoring needs, equal the full forward pass's, with a decoding
    /// token sharing the step.
    func testAllLogitsOfAChunkMatchTheFullForwardPass() throws {
        let model = try makeModel(seed: 10)
        let tokens = randomTokens(9, seed: 11)
        let pass = TrainingPass(model: model, batch: 1, seqLen: tokens.count)
        pass.forward(tokens: tokens)
        let other = KVCache(config: config, capacity: 8)
        let batch = BatchedForward(model: model, rowCapacity: 16)
        _ = try batch.run([SequenceChunk(cache: other, tokens: [3, 4], logits: .none)])
        let cache = KVCache(config: config, capacity: tokens.count)
        let ranges = try batch.run([SequenceChunk(cache: other, tokens: [5], logits: .last),
                                    SequenceChunk(cache: cache, tokens: tokens, logits: .all)])
        XCTAssertEqual(ranges, [0..<1, 1..<10])
        for position in tokens.indices {
            for v in 0..<config.vocabSize {
                let full = pass.logits[position * config.vocabSize + v]
                XCTAssertEqual(batch.logits[(1 + position) * config.vocabSize + v], full, accuracy: 1e-4 * (1 + abs(full)))
            }
        }
    }

    func testLogProbabilitiesNormaliseAndRankTheTopTokens() {
        let logits: [Float] = [1, 3, 2, 3, -1]
        logits.withUnsafeBufferPointer { buffer in
            let p = LogProbabilities(buffer)
            let total = (0..<5).map { exp(p.of(Int32($0))) }.reduce(0, +)
            XCTAssertEqual(total, 1, accuracy: 1e-12)
            let top = p.top(3)
            XCTAssertEqual(top.map(\.token), [1, 3, 2])
            XCTAssertEqual(top[0].logprob, p.of(1))
            XCTAssertEqual(p.top(9).count, 5)
        }
    }
}
