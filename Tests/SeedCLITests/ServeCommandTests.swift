import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// `seed serve` end to end: a tiny trained run, served on a free port, asked over HTTP, stopped with Ctrl-C.
final class ServeCommandTests: SeedCommandTestCase {
    func trainTinyRun() throws -> String {
        let texts = scratch.appendingPathComponent("texts.txt")
        try String(repeating: "To be, or not to be, that is the question.\n", count: 80).write(to: texts, atomically: true, encoding: .utf8)
        XCTAssertEqual(try seed("data", "tokenize", "--tokenizer", "bytes", "--input", texts.path, "--out", path("data")).status, 0)
        let trained = try seed("train", "--data", path("data"), "--out", path("run"), "--layers", "1", "--heads", "2", "--dim", "16",
                               "--context", "32", "--batch", "2", "--steps", "2", "--eval-batches", "1")
        XCTAssertEqual(trained.status, 0, trained.stderr)
        return path("run")
    }

    func testServeAnswersOverHTTPAndStopsOnInterrupt() async throws {
        let run = try trainTinyRun()
        let process = Process()
        process.executableURL = Self.seedBinary
        process.arguments = ["serve", "--model", run, "--port", "0", "--api-key-env", "SEED_TEST_KEY", "--model-name", "tiny"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SEED_TEST_KEY": "k1"]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var banner = Data()
        while !banner.contains(UInt8(ascii: "\n")) {
            let piece = out.fileHandleForReading.availableData
            if piece.isEmpty { break }
            banner += piece
        }
        let line = String(decoding: banner, as: UTF8.self)
        let base = try XCTUnwrap(line.range(of: "http://[^ ]+/v1", options: .regularExpression).map { String(line[$0]) }, line)

        var request = URLRequest(url: URL(string: base + "/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer k1", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"model": "tiny", "prompt": "To be", "max_tokens": 5, "temperature": 0}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200, String(decoding: data, as: UTF8.self))
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual((body["choices"] as? [Any])?.count, 1)

        request.setValue("Bearer wrong", forHTTPHeaderField: "Authorization")
        let (_, denied) = try await URLSession.shared.data(for: request)
        XCTAssertEqual((denied as? HTTPURLResponse)?.statusCode, 401)

        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "Ctrl-C stops the server cleanly")
    }

    func testBadSetupGetsOneLine() throws {
        assertOneLineError(try seed("serve", "--model", path("missing")), containing: "config.json")
        let run = try trainTinyRun()
        assertOneLineError(try seed("serve", "--model", run, "--api-key-env", "SEED_SURELY_UNSET_VARIABLE"), containing: "SEED_SURELY_UNSET_VARIABLE")
    }
}
