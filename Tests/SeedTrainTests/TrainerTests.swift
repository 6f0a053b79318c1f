import Foundation
import SeedModel
import SeedTensor
import SeedTrain
import XCTest

final class TrainerTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seed-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Byte shards of a repetitive text: learnable in a few steps.
    func makeData() throws -> URL {
        let folder = scratch.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let text = (0..<600).map { "the cat sat on mat \($0 % 9). " }.joined()
        let tokens = Array(text.utf8).map { Int32($0) }
        try TokenShard.write(Array(tokens[0..<10000]), vocabularySize: 256, to: folder.appendingPathComponent("train.bin"))
        try TokenShard.write(Array(tokens[10000...]), vocabularySize: 256, to: folder.appendingPathComponent("val.bin"))
        return folder
    }

    var tinyConfig: TrainingConfig {
        var c = TrainingConfig()
        c.layers = 2; c.heads = 2; c.kvHeads = 1; c.dim = 16; c.context = 16; c.batch = 3; c.accum = 2
        c.steps = 24; c.warmup = 3; c.evalEvery = 6; c.evalBatches = 2; c.saveEvery = 4; c.logEvery = 1; c.lr = 3e-3
        return c
    }

    func testLoaderOrderIsSeededAndCoversEveryWindowEachEpoch() throws {
        let shard = try TokenShard(data: shardData((0..<161).map { Int32($0 % 200) }))
        func batches(_ seed: UInt64, _ n: Int) throws -> [[Int32]] {
            let loader = try DataLoader(shard: shard, batch: 2, seqLen: 8, seed: seed)
            return (0..<n).map { _ in loader.next(); return Array(UnsafeBufferPointer(start: loader.inputs, count: 16)) }
        }
        XCTAssertEqual(try batches(1, 12), try batches(1, 12))
        XCTAssertNotEqual(try batches(1, 12), try batches(2, 12))
        // 20 windows: the first 10 batches hold each window start exactly once.
        let starts = try batches(1, 10).flatMap { [$0[0], $0[8]] }
        XCTAssertEqual(Set(starts).count, 20)
        let loader = try DataLoader(shard: shard, batch: 2, seqLen: 8, seed: 1)
        loader.next()
        XCTAssertEqual(Array(UnsafeBufferPointer(start: loader.targets, count: 7)), (1...7).map { loader.inputs[0] + Int32($0) })
    }

    func shardData(_ tokens: [Int32]) throws -> Data {
        let url = scratch.appendingPathComponent("s-\(UUID().uuidString).bin")
        try TokenShard.write(tokens, vocabularySize: 256, to: url)
        return try Data(contentsOf: url)
    }

    func testTrainingInSegmentsGivesTheSameBitsAsOneRun() throws {
        let data = try makeData()
        let whole = scratch.appendingPathComponent("whole"), parts = scratch.appendingPathComponent("parts")
        let summary = try Trainer(dataDirectory: data, runDirectory: whole, config: tinyConfig).train()
        let firstLoss = try TrainingLog.read(whole.appendingPathComponent("log.jsonl"))[0].loss
        XCTAssertLessThan(summary.finalLoss, firstLoss - 0.5, "a repetitive text should be learnt quickly")

        XCTAssertThrowsError(try Trainer(resuming: parts, dataDirectory: data))
        let first = try Trainer(dataDirectory: data, runDirectory: parts, config: tinyConfig).train(until: 10)
        XCTAssertEqual(first.steps, 10)
        XCTAssertThrowsError(try Trainer(dataDirectory: data, runDirectory: parts, config: tinyConfig))
        // A step logged after the last save (as when a kill lands between the two) is dropped on resume.
        let log = try FileHandle(forWritingTo: parts.appendingPathComponent("log.jsonl"))
        try log.seekToEnd()
        try log.write(contentsOf: Data("{\"step\": 11, \"loss\": 9, \"lr\": 0, \"tokens_per_s\": 0, \"elapsed_s\": 0}\n".utf8))
        try log.close()
        let resumed = try Trainer(resuming: parts, dataDirectory: data)
        XCTAssertEqual(resumed.config, tinyConfig)
        try resumed.train()

        let a = try TrainingLog.read(whole.appendingPathComponent("log.jsonl"))
        let b = try TrainingLog.read(parts.appendingPathComponent("log.jsonl"))
        XCTAssertEqual(a.map(\.step), Array(1...24))
        XCTAssertEqual(a.map(\.step), b.map(\.step))
        XCTAssertEqual(a.map(\.loss), b.map(\.loss))
        XCTAssertEqual(a.map(\.valLoss), b.map(\.valLoss))
        XCTAssertEqual(a.map(\.lr), b.map(\.lr))
        XCTAssertEqual(try Data(contentsOf: whole.appendingPathComponent("model.safetensors")),
                       try Data(contentsOf: parts.appendingPathComponent("model.safetensors")))
        XCTAssertEqual(a.compactMap(\.valLoss).count, 4)
    }
}
