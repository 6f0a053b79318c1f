import XCTest
@testable import SeedTokenizer

final class TextCutsTests: XCTestCase {
    func pieces(_ text: ArraySlice<UInt8>, _ pattern: SplitPattern) -> [[UInt8]] {
        Array(text).withUnsafeBufferPointer { buffer in
            PreTokenizer(pattern: pattern).ranges(buffer).map { Array(buffer[$0]) }
        }
    }

    /// Every position called safe really is: splitting the two sides apart gives the pieces of the whole,
    /// under every pattern, on random text built from the characters that make splitting hard.
    func testEverySafeCutKeepsThePieces() {
        let alphabet: [String] = ["a", "Z", " ", "  ", "\n", "\r\n", "\t", "\u{3000}", "\u{85}", "\u{A0}", "中", "文", "é", "e\u{301}",
                                  "1", "23", ",", "!", "'s", "'", "👋", "\u{200B}", "\u{FEFF}"]
        var random = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<1500 {
            var bytes = Array((0..<40).map { _ in alphabet.randomElement(using: &random)! }.joined().utf8)
            if Bool.random(using: &random) { bytes.insert(0xFF, at: Int.random(in: 0...bytes.count, using: &random)) }
            bytes.withUnsafeBufferPointer { buffer in
                for i in 1..<buffer.count where TextCuts.isSafeCut(buffer, at: i) {
                    checked += 1
                    for pattern in SplitPattern.allCases {
                        XCTAssertEqual(pieces(bytes[..<i], pattern) + pieces(bytes[i...], pattern), pieces(bytes[...], pattern),
                                       "\(pattern) cut at \(i) of \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 1000)
    }

    func testTextWithoutSpacesIsCutAtNewlines() {
        let text = Array(String(repeating: "中文文本没有空格，分词器必须正确处理。\n", count: 200).utf8)
        text.withUnsafeBufferPointer { buffer in
            XCTAssertGreaterThan(TextCuts.cut(buffer, into: 8).count, 4)
            XCTAssertNotNil(TextCuts.lastSafeCut(in: buffer))
        }
        // After white space, or before it, a newline is not a cut.
        for unsafe in [" \nB", "\n\nB", "a\n B", "a\n\u{3000}B", "a\r\nB"] {
            let bytes = Array(unsafe.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                XCTAssertNil(TextCuts.lastSafeCut(in: buffer), unsafe.debugDescription)
            }
        }
    }

    func testParallelEncodingWithPrefixSpaceMatchesOnePass() throws {
        let base = try Tokenizer.train(files: TestCorpus.files(limit: 1), vocabularySize: 600, pattern: .gpt2)
        let prefixed = Tokenizer(model: base.model, pattern: .gpt2, specialTokens: base.specialTokens, addsPrefixSpace: true)
        let text = String(repeating: "第一行\nSecond line\n", count: 120_000)
        var utf8 = text
        let parallel = utf8.withUTF8 { prefixed.encodeInParallel($0) }
        XCTAssertEqual(parallel, prefixed.encode(text))
    }
}
