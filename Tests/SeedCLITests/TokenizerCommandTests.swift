import Foundation
import XCTest

/// `seed tokenizer ...` and the BPE path through `data tokenize`, `train` and `generate`.
final class TokenizerCommandTests: SeedCommandTestCase {
    func makeCorpus() throws -> String {
        let folder = scratch.appendingPathComponent("texts")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let lines = (0..<600).map { "Line \($0): to be, or not to be, that is the question; 生きるべきか \($0 % 7). 👋\n" }
        try lines[0..<300].joined().write(to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try lines[300...].joined().write(to: folder.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        return folder.path
    }

    func trainTokenizer(_ extra: String...) throws -> String {
        let r = try seed(["tokenizer", "train", "--input", try makeCorpus(), "--vocab-size", "300", "--out", path("tok")] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("300-id tokenizer"), r.stdout)
        return path("tok")
    }

    func testTrainEncodeDecodeRoundTrip() throws {
        let tokenizer = try trainTokenizer("--pattern", "gpt2", "--special", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|sep|>")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tokenizer + "/tokenizer.json"))) as? [String: Any]
        XCTAssertEqual((json?["added_tokens"] as? [[String: Any]])?.compactMap { $0["content"] as? String },
                       ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|sep|>"])
        let text = "To be, or not to be: 生きるべきか 👋 <|endoftext|>\n"
        try text.write(toFile: path("in.txt"), atomically: true, encoding: .utf8)
        let encoded = try seed("tokenizer", "encode", "--tokenizer", tokenizer, "--input", path("in.txt"))
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        let ids = encoded.stdout.split(whereSeparator: \.isWhitespace)
        XCTAssertLessThan(ids.count, text.utf8.count, "merges must shorten the text")
        XCTAssertFalse(ids.contains("296"), "special-token text stays text unless --allow-special")
        let special = try seed("tokenizer", "encode", "--tokenizer", tokenizer, "--input", path("in.txt"), "--allow-special")
        XCTAssertTrue(special.stdout.split(whereSeparator: \.isWhitespace).contains("296"), special.stdout)
        let count = try seed("tokenizer", "encode", "--tokenizer", tokenizer, "--input", path("in.txt"), "--count")
        XCTAssertEqual(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines), String(ids.count))
        try encoded.stdout.write(toFile: path("ids.txt"), atomically: true, encoding: .utf8)
        let decoded = try seed("tokenizer", "decode", "--tokenizer", tokenizer, "--input", path("ids.txt"))
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(decoded.stdout, text)
    }

    func testBPEDataTrainsAModelThatGeneratesText() throws {
        let tokenizer = try trainTokenizer()
        let data = try seed("data", "tokenize", "--tokenizer", tokenizer, "--input", try makeCorpus(), "--out", path("data"))
        XCTAssertEqual(data.status, 0, data.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("data/tokenizer.json")))
        let trained = try seed("train", "--data", path("data"), "--out", path("run"), "--layers", "1", "--heads", "2", "--dim", "16",
                               "--context", "16", "--batch", "4", "--steps", "3", "--eval-batches", "1")
        XCTAssertEqual(trained.status, 0, trained.stderr)
        for file in ["tokenizer.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: path("run/\(file)")), file)
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("run/config.json")))) as? [String: Any]
        XCTAssertEqual(config?["vocab_size"] as? Int, 300)
        XCTAssertEqual(config?["eos_token_id"] as? Int, 297, "<|endoftext|> ends generation")
        let generated = try seed("generate", "--model", path("run"), "--prompt", "To be", "--max-tokens", "12", "--seed", "1")
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertTrue(generated.stdout.hasPrefix("To be"), generated.stdout)
        // Bytes tokenized again into the same folder: the BPE tokenizer must not stay behind.
        let bytes = try seed("data", "tokenize", "--tokenizer", "bytes", "--input", try makeCorpus(), "--out", path("data"))
        XCTAssertEqual(bytes.status, 0, bytes.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("data/tokenizer.json")))
    }

    func testBadInputGetsOneLineErrors() throws {
        let corpus = try makeCorpus()
        assertOneLineError(try seed("tokenizer", "train", "--input", corpus, "--vocab-size", "100", "--out", path("t")),
                           containing: "too small")
        assertOneLineError(try seed("tokenizer", "train", "--input", path("missing"), "--vocab-size", "300", "--out", path("t")),
                           containing: "does not exist")
        assertOneLineError(try seed("tokenizer", "encode", "--tokenizer", path("nowhere"), "--input", corpus + "/a.txt"),
                           containing: "could not be read")
        let tokenizer = try trainTokenizer()
        try "1 2 99999 3".write(toFile: path("bad.txt"), atomically: true, encoding: .utf8)
        assertOneLineError(try seed("tokenizer", "decode", "--tokenizer", tokenizer, "--input", path("bad.txt")),
                           containing: "id 3 (99999)")
        try FileManager.default.createDirectory(atPath: path("wp"), withIntermediateDirectories: true)
        try #"{"pre_tokenizer": null, "model": {"type": "WordPiece", "vocab": {}}}"#.write(toFile: path("wp/tokenizer.json"), atomically: true, encoding: .utf8)
        assertOneLineError(try seed("data", "tokenize", "--tokenizer", path("wp"), "--input", corpus, "--out", path("d")),
                           containing: "not supported")
    }
}
