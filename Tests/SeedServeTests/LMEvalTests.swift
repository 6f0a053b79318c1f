import Foundation
import Hummingbird
import HummingbirdTesting
import SeedModel
@testable import SeedServe
import XCTest

/// lm-evaluation-harness's `local-completions` with `tokenizer_backend=remote` against the server, on the
/// local task in scripts/lm-eval: every per-choice log-likelihood it reports must equal Seed's own,
/// computed token by token with an `InferenceSession`. Runs where lm-eval is installed: the python3 on
/// PATH, or the interpreter in SEED_LM_EVAL_PYTHON (scripts/lm-eval-check.sh makes one).
final class LMEvalTests: XCTestCase {
    func testLMEvalLogLikelihoodsMatchSeedsOwn() async throws {
        let python = ProcessInfo.processInfo.environment["SEED_LM_EVAL_PYTHON"] ?? "python3"
        guard try await run([python, "-c", "import lm_eval"], in: nil).status == 0 else {
            throw XCTSkip("lm-evaluation-harness is not installed (pip install \"lm-eval[api]\", or run scripts/lm-eval-check.sh)")
        }
        let folder = try TinyModel.bpeFolder(context: 96)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("seed-lm-eval-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: output)
        }
        let served = try ServedModel.load(folder: folder, name: "tiny")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let server = SeedServer(served: served, configuration: ServerConfiguration(port: 0))
        defer { server.engine.stop() }
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let result = try await self.run([
                python, "-m", "lm_eval", "run", "--model", "local-completions",
                "--model_args", "model=tiny,base_url=http://127.0.0.1:\(port)/v1/completions,tokenizer_backend=remote,max_length=96,num_concurrent=2",
                "--include_path", "scripts/lm-eval", "--tasks", "seed_mc", "--output_path", output.path, "--log_samples",
            ], in: root)
            XCTAssertEqual(result.status, 0, result.output)
        }

        let samples = try XCTUnwrap(FileManager.default.subpaths(atPath: output.path)?.first { $0.contains("samples_seed_mc") }, "no samples file")
        let lines = try String(contentsOf: output.appendingPathComponent(samples), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        var compared = 0
        for line in lines {
            let sample = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let arguments = try XCTUnwrap(sample["arguments"] as? [String: Any])
            let responses = try XCTUnwrap(sample["resps"] as? [[[Any]]])
            for (i, response) in responses.enumerated() {
                let pair = try XCTUnwrap(arguments["gen_args_\(i)"] as? [String: Any])
                let context = try XCTUnwrap(pair["arg_0"] as? String), continuation = try XCTUnwrap(pair["arg_1"] as? String)
                // Recent lm-eval versions log numbers as strings.
                let value = response.first?.first
                let reported = try XCTUnwrap(value as? Double ?? (value as? String).flatMap(Double.init), "\(String(describing: value))")
                XCTAssertEqual(reported, try Self.seedLogLikelihood(served, context: context, continuation: continuation), accuracy: 1e-4,
                               "\(context)|\(continuation)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 10)
    }

    /// lm-eval's split (`_encode_pair`): the context's trailing spaces move to the continuation, the whole
    /// text is tokenized at once, and the continuation is what follows the context's tokens.
    static func seedLogLikelihood(_ served: ServedModel, context: String, continuation: String) throws -> Double {
        var context = context, continuation = continuation
        while context.last == " " { context.removeLast(); continuation = " " + continuation }
        let whole = served.tokenizer.encode(context + continuation, allowedSpecial: .all)
        let contextLength = served.tokenizer.encode(context, allowedSpecial: .all).count
        let session = InferenceSession(model: served.model)
        var total = 0.0
        for position in 1..<whole.count {
            let logits = Array(try session.feed([whole[position - 1]]))
            if position >= contextLength { total += logits.withUnsafeBufferPointer { LogProbabilities($0).of(whole[position]) } }
        }
        return total
    }

    func run(_ arguments: [String], in directory: URL?) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_OFFLINE"] = "1"
        environment["HF_DATASETS_OFFLINE"] = "1"
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("seed-lm-eval-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try handle.close()
        return (status, String(decoding: try Data(contentsOf: log).suffix(4000), as: UTF8.self))
    }
}
