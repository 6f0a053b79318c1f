import Foundation
import XCTest
@testable import SeedTokenizer

/// Seed against Hugging Face `tokenizers` both ways: what Seed writes, HF reads and encodes identically;
/// what HF trains (GPT-2 style, GPT-4 style, Llama 3 style), Seed reads and encodes identically.
final class HuggingFacePeerTests: XCTestCase {
    static let script = TestCorpus.repositoryRoot.appendingPathComponent("Tests/SeedTokenizerTests/Python/hf_peer.py")

    /// Runs hf_peer.py; skips the test when python3 or `tokenizers` is missing (exit status 3).
    func peer(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path] + arguments
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw XCTSkip("python3 is not available") }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 3 { throw XCTSkip("Hugging Face tokenizers is not installed (pip install tokenizers)") }
        guard process.terminationStatus == 0 else {
            throw XCTSkip("hf_peer.py failed: \(String(decoding: message, as: UTF8.self).suffix(500))")
        }
    }

    func huggingFaceIds(_ tokenizerJSON: URL, _ text: String, in folder: URL, addingSpecialTokens: Bool = false) throws -> [Int32] {
        let input = folder.appendingPathComponent("input.txt"), output = folder.appendingPathComponent("ids.bin")
        try text.write(to: input, atomically: true, encoding: .utf8)
        try peer(["encode", tokenizerJSON.path, input.path, output.path] + (addingSpecialTokens ? ["--add-special"] : []))
        return try Data(contentsOf: output).withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
    }

    var texts: [(name: String, text: String)] {
        [("corpus", TestCorpus.text(limit: 3)), ("unicode stress", unicodeStressText)]
    }

    func testTokenizersTrainedBySeedEncodeIdenticallyInHuggingFace() throws {
        for pattern in [SplitPattern.gpt2, .gpt4] {
            let folder = try temporaryFolder("seed-\(pattern)")
            let tokenizer = try Tokenizer.train(files: TestCorpus.files(limit: 3), vocabularySize: 3000, pattern: pattern)
            try tokenizer.save(to: folder)
            let file = folder.appendingPathComponent("tokenizer.json")
            for (name, text) in texts {
                // HF always matches added tokens in text; Seed does when asked.
                let expected = try huggingFaceIds(file, text, in: folder)
                let ids = tokenizer.ids(text, allowedSpecial: .all)
                XCTAssertEqual(ids.count, expected.count, "\(pattern), \(name)")
                XCTAssertTrue(ids == expected, "\(pattern), \(name): first difference at \(firstDifference(ids, expected))")
            }
        }
    }

    func testTokenizersTrainedByHuggingFaceEncodeIdenticallyInSeed() throws {
        let corpus = TestCorpus.files(limit: 3).map(\.path)
        let kinds: [(kind: String, regex: String, pattern: SplitPattern)] = [
            ("gpt2", SplitPattern.gpt2.regex, .gpt2), ("split", SplitPattern.gpt4.regex, .gpt4), ("llama3", SplitPattern.llama3.regex, .llama3),
        ]
        for (kind, regex, pattern) in kinds {
            let folder = try temporaryFolder("hf-\(kind)")
            try peer(["train", kind, "3000", folder.path, regex] + corpus)
            var files = [folder.appendingPathComponent("tokenizer.json")]
            if kind == "gpt2" {
                // Files written before tokenizers 0.20 hold merges as "a b" strings.
                files.append(folder.appendingPathComponent("legacy.json"))
                try peer(["legacy-merges", files[0].path, files[1].path])
            }
            for file in files {
                let tokenizer = try Tokenizer.load(file)
                XCTAssertEqual(tokenizer.pattern, pattern, kind)
                for (name, text) in texts {
                    let addSpecial = kind == "llama3"
                    let expected = try huggingFaceIds(file, text, in: folder, addingSpecialTokens: addSpecial)
                    let ids = tokenizer.encode(text, allowedSpecial: .all, addingSpecialTokens: addSpecial)
                    XCTAssertEqual(ids.count, expected.count, "\(file.lastPathComponent) \(kind), \(name)")
                    XCTAssertTrue(ids == expected, "\(kind), \(name): first difference at \(firstDifference(ids, expected))")
                    XCTAssertEqual(tokenizer.decode(Array(ids.dropFirst(addSpecial ? 1 : 0)), skipSpecialTokens: false), text, "\(kind), \(name)")
                }
            }
        }
    }
}

func firstDifference(_ a: [Int32], _ b: [Int32]) -> Int {
    zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
}
