import Foundation
import XCTest
@testable import SeedTokenizer

final class TokenizerTests: XCTestCase {
    /// One small tokenizer per pattern, trained once for the whole class.
    static let trained: [SplitPattern: Tokenizer] = {
        var result: [SplitPattern: Tokenizer] = [:]
        let files = TestCorpus.files(limit: 2)
        for pattern in SplitPattern.allCases {
            result[pattern] = try! Tokenizer.train(files: files, vocabularySize: 1500, pattern: pattern)
        }
        return result
    }()

    /// minbpe's encoder, written for clarity: merge the lowest-ranked adjacent pair (leftmost on ties) until none is left.
    func referenceEncode(_ piece: [UInt8], _ tokenizer: Tokenizer) -> [Int32] {
        var ranks: [TokenPair: Int] = [:]
        for (rank, pair) in tokenizer.model.merges.enumerated() where ranks[pair] == nil { ranks[pair] = rank }
        var ids = piece.map { tokenizer.model.byteIds[Int($0)] }
        while ids.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<ids.count - 1 {
                if let rank = ranks[TokenPair(left: ids[i], right: ids[i + 1])], best == nil || rank < best!.rank { best = (rank, i) }
            }
            guard let best else { break }
            let merged = Array(tokenizer.model.bytes(of: ids[best.index]) + tokenizer.model.bytes(of: ids[best.index + 1]))
            ids[best.index] = tokenizer.model.id(of: merged)!
            ids.remove(at: best.index + 1)
        }
        return ids
    }

    func testMergingMatchesTheReferenceOnShortAndLongPieces() {
        let tokenizer = Self.trained[.gpt2]!
        var random = SystemRandomNumberGenerator()
        var pieces: [[UInt8]] = TestCorpus.text(limit: 1).split(separator: " ").prefix(3000).map { Array($0.utf8) }
        pieces.append(Array(String(repeating: "e", count: 301).utf8))
        pieces.append(Array(String(repeating: " the", count: 80).utf8))
        pieces.append(Array(TestCorpus.text(limit: 1).utf8.prefix(2000)))
        for _ in 0..<50 { pieces.append((0..<Int.random(in: 1...400, using: &random)).map { _ in UInt8.random(in: 97...104, using: &random) }) }
        for piece in pieces {
            var ids: [Int32] = []
            piece.withUnsafeBufferPointer { tokenizer.model.encode(piece: $0, into: &ids) }
            XCTAssertEqual(ids, referenceEncode(piece, tokenizer), "piece of \(piece.count) bytes")
        }
    }

    func testDecodingInvertsEncodingForEveryPattern() {
        for (pattern, tokenizer) in Self.trained {
            for text in [unicodeStressText, TestCorpus.text(limit: 1), "", " ", "\n", "a"] {
                let ids = tokenizer.ids(text)
                XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: false), text, "\(pattern)")
            }
        }
        // Bytes that are not UTF-8 survive too: the alphabet covers all 256.
        let bytes: [UInt8] = [0xFF, 0xC3, 0x28, 0x80, 0x41, 0xE2, 0x82]
        let ids = bytes.withUnsafeBufferPointer { Self.trained[.gpt4]!.encodeInParallel($0) }
        XCTAssertEqual(Self.trained[.gpt4]!.decodeBytes(ids), bytes)
    }

    func testTrainedTokenizerCompressesAndKeepsItsLayout() {
        let tokenizer = Self.trained[.gpt4]!
        XCTAssertEqual(tokenizer.vocabularySize, 1500)
        XCTAssertEqual(tokenizer.model.merges.count, 1500 - 256 - 3)
        XCTAssertEqual(tokenizer.specialTokens.map(\.content), Tokenizer.defaultSpecialTokens)
        XCTAssertEqual(tokenizer.specialTokens.map(\.id), [1497, 1498, 1499])
        for byte in 0..<256 { XCTAssertEqual(tokenizer.model.bytes(of: Int32(byte)), [UInt8(byte)]) }
        let text = TestCorpus.text(limit: 1)
        XCTAssertLessThan(Double(tokenizer.ids(text).count), Double(text.utf8.count) / 2.5, "BPE must compress English well")
    }

    func testParallelEncodingGivesTheSingleThreadedIds() {
        let tokenizer = Self.trained[.gpt4]!
        let text = String(repeating: TestCorpus.text(limit: 2) + unicodeStressText, count: 2 * (2 << 20) / TestCorpus.text(limit: 2).utf8.count + 1)
        XCTAssertGreaterThan(text.utf8.count, 2 << 20, "the text must be long enough to be cut")
        var copy = text
        let parallel = copy.withUTF8 { tokenizer.encodeInParallel($0) }
        XCTAssertEqual(parallel, tokenizer.ids(text))
        XCTAssertEqual(tokenizer.encodeBatch([text, "", unicodeStressText]), [tokenizer.ids(text), [], tokenizer.ids(unicodeStressText)])
    }

    func testSpecialTokensAreRecognisedOnlyWhereAllowed() {
        let tokenizer = Self.trained[.gpt4]!
        let end = tokenizer.specialTokenId("<|endoftext|>")!, start = tokenizer.specialTokenId("<|im_start|>")!
        let text = "one<|endoftext|>two<|im_start|>"
        XCTAssertFalse(tokenizer.ids(text).contains(end))
        XCTAssertEqual(tokenizer.ids(text), tokenizer.ids(text, allowedSpecial: .only([])))
        let all = tokenizer.ids(text, allowedSpecial: .all)
        XCTAssertEqual(all, tokenizer.ids("one") + [end] + tokenizer.ids("two") + [start])
        let some = tokenizer.ids(text, allowedSpecial: .only(["<|im_start|>"]))
        XCTAssertEqual(some, tokenizer.ids("one<|endoftext|>two") + [start])
        XCTAssertEqual(tokenizer.decode(all, skipSpecialTokens: true), "onetwo")
        XCTAssertEqual(tokenizer.decode(all, skipSpecialTokens: false), text)
    }

    func testStreamingDecoderHoldsBackUnfinishedCharacters() {
        let tokenizer = Tokenizer.bytes
        let text = "héllo 🌍👩‍👩‍👧 中文 e\u{301}"
        var decoder = tokenizer.streamingDecoder()
        var output: [UInt8] = []
        for id in tokenizer.ids(text) {
            let chunk = decoder.append(id)
            XCTAssertNotNil(String(validatingUTF8: chunk.map { CChar(bitPattern: $0) } + [0]), "a chunk must be whole characters")
            output += chunk
        }
        output += decoder.flush()
        XCTAssertEqual(String(decoding: output, as: UTF8.self), text)
        // A character that never finishes comes out at the end rather than being lost.
        var broken = tokenizer.streamingDecoder()
        XCTAssertEqual(broken.append(0xE4), [])
        XCTAssertEqual(broken.flush(), [0xE4])
    }

    func testTokenizerJSONRoundTrip() throws {
        for (pattern, tokenizer) in Self.trained {
            let loaded = try Tokenizer(tokenizerJSON: tokenizer.tokenizerJSON())
            XCTAssertEqual(loaded.pattern, pattern)
            XCTAssertEqual(loaded.vocabularySize, tokenizer.vocabularySize)
            XCTAssertEqual(loaded.model.merges, tokenizer.model.merges)
            XCTAssertEqual(loaded.specialTokens, tokenizer.specialTokens)
            XCTAssertEqual(loaded.ids(unicodeStressText, allowedSpecial: .all), tokenizer.ids(unicodeStressText, allowedSpecial: .all))
        }
        let folder = try temporaryFolder()
        try Self.trained[.gpt4]!.save(to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))) as? [String: Any]
        XCTAssertEqual(config?["eos_token"] as? String, "<|endoftext|>")
        XCTAssertEqual(config?["chat_template"] as? String, ChatTemplate.jinja)
        XCTAssertEqual(try Tokenizer.load(folder).vocabularySize, 1500)
    }

    func testUnsupportedOrBrokenFilesGetClearErrors() {
        func error(_ json: String) -> String {
            do {
                _ = try Tokenizer(tokenizerJSON: Data(json.utf8), path: "t.json")
                return "no error"
            } catch { return String(describing: error) }
        }
        let byteLevel = #""pre_tokenizer": {"type": "ByteLevel"}"#
        XCTAssertTrue(error(#"{\#(byteLevel), "model": {"type": "WordPiece", "vocab": {}}}"#).contains("model type WordPiece is not supported"))
        XCTAssertTrue(error(#"{\#(byteLevel), "model": {"type": "Unigram", "vocab": []}}"#).contains("model type Unigram"))
        XCTAssertTrue(error(#"{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}"#).contains("Metaspace"))
        XCTAssertTrue(error(#"{\#(byteLevel), "model": {"type": "BPE", "byte_fallback": true, "vocab": {}, "merges": []}}"#).contains("byte_fallback"))
        XCTAssertTrue(error(#"{\#(byteLevel), "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#).contains("merges[0]"))
        XCTAssertTrue(error("[1, 2").contains("is not a valid tokenizer.json: expected"))
        XCTAssertTrue(error("[1, 2]").contains("not a JSON object"))
        XCTAssertThrowsError(try Tokenizer.load(URL(fileURLWithPath: "/nonexistent/tokenizer.json")))
    }

    func testTrainingRejectsBadSettings() {
        let files = TestCorpus.files(limit: 1)
        XCTAssertThrowsError(try Tokenizer.train(files: files, vocabularySize: 200)) {
            XCTAssertEqual($0 as? TokenizerError, .badVocabularySize(requested: 200, minimum: 259))
        }
        XCTAssertThrowsError(try Tokenizer.train(files: files, vocabularySize: 300, specialTokens: ["<a>", "<a>"]))
        XCTAssertThrowsError(try Tokenizer.train(files: [URL(fileURLWithPath: "/nonexistent.txt")], vocabularySize: 300))
    }

    func testChatTemplateMatchesItsRenderingAndMasksTheAssistant() throws {
        let tokenizer = Self.trained[.gpt4]!
        let messages = [
            ChatMessage(role: "system", content: "You are terse."),
            ChatMessage(role: "user", content: "Say hi<|im_end|> twice\n\n"),
            ChatMessage(role: "assistant", content: "\n\nHi hi 👋"),
        ]
        let encoded = try ChatTemplate.encode(messages, with: tokenizer, addGenerationPrompt: false)
        XCTAssertEqual(encoded.ids.count, encoded.assistantMask.count)
        // The message's own "<|im_end|>" is text: only the template's delimiters are special.
        let end = tokenizer.specialTokenId(ChatTemplate.endToken)!
        XCTAssertEqual(encoded.ids.filter { $0 == end }.count, 3)
        let rendered = ChatTemplate.render(messages)
        XCTAssertEqual(tokenizer.decode(encoded.ids, skipSpecialTokens: false), rendered)
        let safeMessages = messages.map { ChatMessage(role: $0.role, content: $0.content.replacingOccurrences(of: "<|im_end|>", with: "")) }
        XCTAssertEqual(try ChatTemplate.encode(safeMessages, with: tokenizer).ids,
                       tokenizer.ids(ChatTemplate.render(safeMessages), allowedSpecial: .only([ChatTemplate.startToken, ChatTemplate.endToken])))
        let learned = zip(encoded.ids, encoded.assistantMask).filter(\.1).map(\.0)
        XCTAssertTrue(tokenizer.decode(learned, skipSpecialTokens: false).hasSuffix("\n\nHi hi 👋<|im_end|>"))
        XCTAssertEqual(learned.last, end)
        let prompt = try ChatTemplate.encode(Array(messages.prefix(2)), with: tokenizer, addGenerationPrompt: true)
        XCTAssertFalse(prompt.assistantMask.contains(true))
        XCTAssertTrue(tokenizer.decode(prompt.ids, skipSpecialTokens: false).hasSuffix("<|im_start|>assistant\n"))
        XCTAssertThrowsError(try ChatTemplate.encode(messages, with: Tokenizer.bytes))
    }
}
