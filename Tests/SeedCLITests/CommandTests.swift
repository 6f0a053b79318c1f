import Foundation
import XCTest

/// End-to-end tests of the training commands on tiny data.
final class CommandTests: SeedCommandTestCase {
    /// A small corpus of two files with enough text for a few hundred windows.
    func makeCorpus() throws -> String {
        let folder = scratch.appendingPathComponent("texts")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let lines = (0..<400).map { "Line \($0): to be, or not to be, that is the question \($0 % 7).\n" }
        try lines[0..<200].joined().write(to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try lines[200...].joined().write(to: folder.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        return folder.path
    }

    let tinyModel = ["--layers", "1", "--heads", "2", "--dim", "16", "--context", "16", "--batch", "4", "--eval-batches", "2"]

    func tokenizeCorpus() throws -> String {
        let r = try seed("data", "tokenize", "--tokenizer", "bytes", "--input", try makeCorpus(), "--out", path("data"),
                         "--val-fraction", "0.1")
        XCTAssertEqual(r.status, 0, r.stderr)
        return path("data")
    }

    func train(_ out: String, data: String, _ extra: [String]) throws -> Result {
        let (process, outPipe, errPipe) = try launch(["train", "--data", data, "--out", out] + tinyModel + extra)
        let stdout = outPipe.fileHandleForReading.readDataToEndOfFile()
        let stderr = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    func logLines(_ run: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func testTokenizeTrainAndGenerate() throws {
        let data = try tokenizeCorpus()
        for name in ["train.bin", "val.bin"] { XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/" + name)) }
        let run = path("run")
        let r = try train(run, data: data, ["--steps", "30", "--eval-every", "10", "--save-every", "10"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let log = try logLines(run)
        XCTAssertEqual(log.last?["step"] as? Int, 30)
        for key in ["step", "loss", "lr", "tokens_per_s", "elapsed_s"] { XCTAssertNotNil(log.last?[key], key) }
        XCTAssertEqual(log.filter { $0["val_loss"] != nil }.count, 3)
        let first = log.first!["loss"] as! Double, last = log.last!["loss"] as! Double
        XCTAssertLessThan(last, first, "the loss should fall")
        for name in ["config.json", "model.safetensors", "generation_config.json", "training.yaml", "state/trainer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/" + name), name)
        }
        let g1 = try seed("generate", "--model", run, "--prompt", "Line 1", "--max-tokens", "20", "--seed", "3")
        let g2 = try seed("generate", "--model", run, "--prompt", "Line 1", "--max-tokens", "20", "--seed", "3")
        XCTAssertEqual(g1.status, 0, g1.stderr)
        XCTAssertTrue(g1.stdout.hasPrefix("Line 1"))
        XCTAssertEqual(g1.stdout, g2.stdout)
        XCTAssertEqual(g1.stdout.utf8.count, "Line 1".utf8.count + 20 + 1)
    }

    /// A model folder read by an independent numpy implementation of transformers' Llama (names, layouts,
    /// rotate_half RoPE, GQA, untied head) continues a prompt with the same greedy tokens as `seed generate`.
    func testHuggingFaceStyleReaderGreedyDecodesLikeSeed() throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import numpy"]
        python.standardError = FileHandle.nullDevice
        try python.run()
        python.waitUntilExit()
        try XCTSkipIf(python.terminationStatus != 0, "python3 with numpy is not installed")

        let data = try tokenizeCorpus()
        try "tie_embeddings: false\nkv_heads: 1\n".write(toFile: path("gqa.yaml"), atomically: true, encoding: .utf8)
        let run = path("gqa")
        let trained = try train(run, data: data, ["--config", path("gqa.yaml"), "--steps", "40"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        // A float32 cache: float16's rounding of keys and values could flip a near tie of the reference's.
        let seedOutput = try seed("generate", "--model", run, "--prompt", "Line 2", "--max-tokens", "9", "--temperature", "0",
                                  "--kv-cache", "float32")
        XCTAssertEqual(seedOutput.status, 0, seedOutput.stderr)

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/hf_llama_greedy.py")
        let reference = Process()
        reference.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        reference.arguments = ["python3", script.path, run, "Line 2", "9"]
        let out = Pipe()
        reference.standardOutput = out
        try reference.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reference.waitUntilExit()
        XCTAssertEqual(reference.terminationStatus, 0)
        XCTAssertEqual(text + "\n", seedOutput.stdout)
    }

    func testKillNineThenResumeContinuesTheSameLossCurve() throws {
        let data = try tokenizeCorpus()
        let steps = ["--steps", "400", "--save-every", "5", "--eval-every", "50"]
        let reference = path("reference")
        XCTAssertEqual(try train(reference, data: data, steps).status, 0)

        let run = path("killed")
        let (process, _, _) = try launch(["train", "--data", data, "--out", run] + tinyModel + steps)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: run + "/state/trainer.json") && Date() < deadline { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/state/trainer.json"))) as! [String: Any]
        XCTAssertLessThan(saved["step"] as! Int, 400, "the kill should land mid-run")

        let resumed = try seed("train", "--data", data, "--out", run, "--resume")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try logLines(reference), b = try logLines(run)
        XCTAssertEqual(a.map { $0["step"] as! Int }, b.map { $0["step"] as! Int })
        XCTAssertEqual(a.map { $0["loss"] as! Double }, b.map { $0["loss"] as! Double })
        XCTAssertEqual(a.compactMap { $0["val_loss"] as? Double }, b.compactMap { $0["val_loss"] as? Double })
        let weightsA = try Data(contentsOf: URL(fileURLWithPath: reference + "/model.safetensors"))
        let weightsB = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
        XCTAssertEqual(weightsA, weightsB)
    }

    func testDemoRunsOnTheBundledCorpusAndReplacesOnlyItsOwnFolder() throws {
        let out = path("demo")
        for _ in 0..<2 {
            let r = try seed("demo", "--out", out, "--steps", "4", "--sample-tokens", "8")
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("tokenized 8 files"), r.stdout)
            XCTAssertTrue(r.stdout.contains("--- sample 3 ---"), r.stdout)
        }
        assertOneLineError(try seed("demo", "--out", try makeCorpus(), "--steps", "1"), containing: "already")
    }

    func testBenchmarksPrintOneJSONObjectPerLine() throws {
        let r = try seed("bench", "train", "--json", "--layers", "1", "--heads", "2", "--dim", "32", "--context", "16",
                         "--batch", "2", "--vocab", "256", "--steps", "1")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        for key in ["name", "gflops", "ref_gflops", "ratio", "tokens_per_s", "mfu"] { XCTAssertNotNil(object[key], key) }
        XCTAssertGreaterThan(object["tokens_per_s"] as! Double, 0)
        XCTAssertGreaterThan(object["mfu"] as! Double, 0)
    }

    func testBadInputGetsOneLineAndOverwritesNothing() throws {
        assertOneLineError(try seed("data", "tokenize", "--tokenizer", "bytes", "--input", path("nope.txt"), "--out", path("d")),
                           containing: "nope.txt")
        let data = try tokenizeCorpus()
        // A run that exists is not overwritten.
        let run = path("run")
        XCTAssertEqual(try train(run, data: data, ["--steps", "2"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
        assertOneLineError(try train(run, data: data, ["--steps", "2"]), containing: "--resume")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")), before)
        // A shard of the wrong format.
        let bad = path("bad")
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: bad + "/train.bin"))
        assertOneLineError(try train(path("run2"), data: bad, []), containing: "train.bin")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("run2")))
        // A config with an unknown key.
        try "layers: 2\nlearning_rate: 0.1\n".write(toFile: path("c.yaml"), atomically: true, encoding: .utf8)
        assertOneLineError(try train(path("run3"), data: data, ["--config", path("c.yaml")]), containing: "learning_rate")
        // A model folder that is not one.
        assertOneLineError(try seed("generate", "--model", path("texts"), "--prompt", "x"), containing: "config.json")
        // Bad argument values.
        assertOneLineError(try train(path("run4"), data: data, ["--steps", "0"]), containing: "--steps")
        assertOneLineError(try train(path("run5"), data: data, ["--heads", "3"]), containing: "head")
        XCTAssertEqual(try seed("train", "--bogus").status, 64)
        let cache = try seed("generate", "--model", path("texts"), "--prompt", "x", "--kv-cache", "float8")
        XCTAssertEqual(cache.status, 64)
        XCTAssertTrue(cache.stderr.hasPrefix("Error: The value 'float8' is invalid for '--kv-cache"), cache.stderr)
        XCTAssertTrue(cache.stderr.split(separator: "\n")[0].contains("'float32' and 'float16'"), cache.stderr)
    }
}
