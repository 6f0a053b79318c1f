import Foundation
import XCTest
@testable import SeedTokenizer

final class BPETrainerTests: XCTestCase {
    // MARK: - Merges against a naive trainer

    func testMatchesNaiveTrainerOnRandomCorpora() {
        for seed in 0 ..< 24 {
            var random = SplitMix64(seed: UInt64(seed))
            let words = randomWords(using: &random)
            let minimumFrequency = [1, 2, 3][seed % 3]
            let merges = BPETrainer.learnMerges(
                from: WordCounts(words), mergeCount: 150, minimumFrequency: minimumFrequency)
            XCTAssertEqual(
                merges, naiveMerges(words, mergeCount: 150, minimumFrequency: minimumFrequency),
                "seed \(seed), minimum frequency \(minimumFrequency)")
        }
    }

    func testMatchesNaiveTrainerOnShakespeare() throws {
        let text = try Array(sampleText().prefix(100_000))
        var counter = WordCounter(pattern: .gpt2, threadCount: 2)
        text.withUnsafeBufferPointer { counter.add($0) }
        let words = dictionary(counter.counts)
        let merges = BPETrainer.learnMerges(from: counter.counts, mergeCount: 300)
        XCTAssertEqual(merges.count, 300)
        XCTAssertEqual(merges, naiveMerges(words, mergeCount: 300, minimumFrequency: 2))
    }

    /// Left-to-right merging inside a run, and the tie rule: `aaaaa` → `(aa)(aa)a`, whose two pairs tie at 1
    /// and the smaller, `(256, 97)`, goes first.
    func testRunsMergeLeftToRightAndTiesGoToTheSmallerPair() {
        let merges = BPETrainer.learnMerges(
            from: WordCounts([Array("aaaaa".utf8): 1]), mergeCount: 10, minimumFrequency: 1)
        XCTAssertEqual(merges, [pair(97, 97), pair(256, 97), pair(256, 257)])
    }

    func testStopsWhenNoPairIsFrequentEnough() {
        let words = WordCounts([Array("ab".utf8): 3, Array("cd".utf8): 1, Array("e".utf8): 9])
        XCTAssertEqual(BPETrainer.learnMerges(from: words, mergeCount: 10), [pair(97, 98)])
        XCTAssertEqual(
            BPETrainer.learnMerges(from: words, mergeCount: 10, minimumFrequency: 1), [pair(97, 98), pair(99, 100)])
        XCTAssertEqual(BPETrainer.learnMerges(from: WordCounts([Array("e".utf8): 9, []: 2]), mergeCount: 10), [])
        XCTAssertEqual(BPETrainer.learnMerges(from: WordCounts(), mergeCount: 10), [])
    }

    func testProgressIsReportedAboutEveryPercent() throws {
        var counter = WordCounter(pattern: .gpt2)
        try Array(sampleText().prefix(50_000)).withUnsafeBufferPointer { counter.add($0) }
        var reports: [Int] = []
        let merges = BPETrainer.learnMerges(from: counter.counts, mergeCount: 250) { done, total in
            XCTAssertEqual(total, 250)
            reports.append(done)
        }
        XCTAssertEqual(reports.last, merges.count)
        XCTAssertEqual(reports, reports.sorted())
        XCTAssertLessThanOrEqual(reports.count, 101)
        XCTAssertGreaterThanOrEqual(reports.count, 50)
    }

    // MARK: - Word counts

    func testParallelCountMatchesOneSplitOfTheWholeText() throws {
        var random = SplitMix64(seed: 7)
        let text = try Array(sampleText().prefix(60_000)) + randomText(count: 20_000, using: &random)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("seed-word-counter-\(getpid()).txt")
        try Data(text).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for pattern in SplitPattern.allCases {
            var expected: [[UInt8]: Int] = [:]
            text.withUnsafeBufferPointer { all in
                PreTokenizer(pattern: pattern).split(all) { expected[Array(all[$0]), default: 0] += 1 }
            }
            for threadCount in [1, 3, 8] {
                var counter = WordCounter(pattern: pattern, threadCount: threadCount)
                counter.minimumChunkBytes = 1000
                text.withUnsafeBufferPointer { counter.add($0) }
                XCTAssertEqual(dictionary(counter.counts), expected, "\(pattern), \(threadCount) threads")
                XCTAssertEqual(counter.counts.totalOccurrences, expected.values.reduce(0, +))
            }
            var fileCounter = WordCounter(pattern: pattern, threadCount: 2)
            fileCounter.minimumChunkBytes = 500
            fileCounter.fileBlockBytes = 3000
            try fileCounter.add(file: file)
            XCTAssertEqual(dictionary(fileCounter.counts), expected, "\(pattern), from a file")
        }
    }

    func testChunksAreCutOnlyAtSafeCuts() {
        let text = Array("one two\nthree  four,five six".utf8)
        text.withUnsafeBufferPointer { buffer in
            let chunks = TextCuts.cut(buffer, into: 4)
            XCTAssertEqual(chunks.first?.lowerBound, 0)
            XCTAssertEqual(chunks.last?.upperBound, text.count)
            XCTAssertGreaterThan(chunks.count, 1)
            for (chunk, next) in zip(chunks, chunks.dropFirst()) {
                XCTAssertEqual(chunk.upperBound, next.lowerBound)
                XCTAssertTrue(TextCuts.isSafeCut(buffer, at: next.lowerBound))
            }
        }
    }

    func testMergesDoNotDependOnThreadCountOrWordOrder() throws {
        let text = try sampleText()
        var merges: [[TokenPair]] = []
        for threadCount in [1, 3] {
            var counter = WordCounter(pattern: .gpt2, threadCount: threadCount)
            counter.minimumChunkBytes = 4096
            text.withUnsafeBufferPointer { counter.add($0) }
            merges.append(BPETrainer.learnMerges(from: counter.counts, mergeCount: 500))
            merges.append(BPETrainer.learnMerges(from: WordCounts(dictionary(counter.counts)), mergeCount: 500))
        }
        XCTAssertEqual(merges[0].count, 500)
        for other in merges.dropFirst() { XCTAssertEqual(other, merges[0]) }
    }

    // MARK: - Against Hugging Face tokenizers

    /// HF numbers its alphabet by the GPT-2 byte-to-character map, not by byte, so ties between pairs break
    /// alike only where that numbering keeps the byte order: on words made of `a`...`e` alone, one word a line
    /// (the newline is a piece of its own and holds no pair), both trainers must learn the same merges.
    func testMatchesHuggingFaceTrainerOnLetterWords() throws {
        var random = SplitMix64(seed: 42)
        var words: [[UInt8]: Int] = [:]
        var lines = ""
        for _ in 0 ..< 3000 {
            let word = randomLetterWord(using: &random)
            words[Array(word.utf8), default: 0] += 1
            lines += word + "\n"
        }
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("seed-hf-corpus-\(getpid()).txt")
        try lines.write(to: corpus, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: corpus) }

        let mergeCount = 120
        let script = """
            import json, sys
            from tokenizers import Tokenizer, models, pre_tokenizers, trainers
            tokenizer = Tokenizer(models.BPE())
            tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            trainer = trainers.BpeTrainer(vocab_size=256 + int(sys.argv[2]), min_frequency=2, special_tokens=[],
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
            tokenizer.train([sys.argv[1]], trainer)
            for merge in json.loads(tokenizer.to_str())["model"]["merges"]:
                print(" ".join(merge) if isinstance(merge, list) else merge)
            """
        guard runPython("import tokenizers", arguments: []) != nil else {
            throw XCTSkip("python3 with the tokenizers package is not installed")
        }
        let output = try XCTUnwrap(runPython(script, arguments: [corpus.path, String(mergeCount)]))
        let hfMerges = output.split(separator: "\n").map(String.init)

        var tokens = (0 ..< 256).map { [UInt8($0)] }
        let merges = BPETrainer.learnMerges(from: WordCounts(words), mergeCount: mergeCount)
        let seedMerges = merges.map { merge -> String in
            tokens.append(tokens[Int(merge.left)] + tokens[Int(merge.right)])
            return String(decoding: tokens[Int(merge.left)], as: UTF8.self) + " "
                + String(decoding: tokens[Int(merge.right)], as: UTF8.self)
        }
        XCTAssertEqual(seedMerges.count, mergeCount)
        XCTAssertEqual(seedMerges, hfMerges)
    }

    // MARK: - Helpers

    /// The textbook trainer: recount every pair of every word before each merge, take the first maximum in
    /// (left, right) order, rewrite every word.
    private func naiveMerges(_ words: [[UInt8]: Int], mergeCount: Int, minimumFrequency: Int) -> [TokenPair] {
        var tokenized = words.map { (tokens: $0.key.map(Int.init), count: $0.value) }
        let tokenCount = 256 + mergeCount
        var merges: [TokenPair] = []
        for newToken in 256 ..< tokenCount {
            var pairCounts = [Int](repeating: 0, count: tokenCount * tokenCount)
            for word in tokenized {
                for (left, right) in zip(word.tokens, word.tokens.dropFirst()) {
                    pairCounts[left * tokenCount + right] += word.count
                }
            }
            var best = 0
            for index in pairCounts.indices where pairCounts[index] > pairCounts[best] { best = index }
            guard pairCounts[best] >= max(1, minimumFrequency) else { break }
            let (left, right) = (best / tokenCount, best % tokenCount)
            merges.append(pair(left, right))
            for w in tokenized.indices {
                var merged: [Int] = []
                var i = 0
                let tokens = tokenized[w].tokens
                while i < tokens.count {
                    if i + 1 < tokens.count && tokens[i] == left && tokens[i + 1] == right {
                        merged.append(newToken)
                        i += 2
                    } else {
                        merged.append(tokens[i])
                        i += 1
                    }
                }
                tokenized[w].tokens = merged
            }
        }
        return merges
    }

    /// Words with repeats, runs like `aaaa` and overlapping pairs like `abab`, from alphabets of 2 to 256 bytes.
    private func randomWords(using random: inout SplitMix64) -> [[UInt8]: Int] {
        let alphabet: [UInt8] = [Array("ab".utf8), Array("abc".utf8), Array("abcdefgh".utf8), Array(0 ... 255)][
            Int(random.next() % 4)]
        var words: [[UInt8]: Int] = [:]
        for _ in 0 ..< 5 + Int(random.next() % 60) {
            var word: [UInt8] = []
            for _ in 0 ..< 1 + Int(random.next() % 6) {
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                let run = random.next() % 3 == 0 ? 2 + Int(random.next() % 5) : 1
                word += [UInt8](repeating: byte, count: run)
            }
            words[word, default: 0] += 1 + Int(random.next() % 20)
        }
        return words
    }

    private func randomLetterWord(using random: inout SplitMix64) -> String {
        var word = ""
        for _ in 0 ..< 1 + Int(random.next() % 8) {
            let letter = Character(UnicodeScalar(UInt8(97 + random.next() % 5)))
            word += String(repeating: letter, count: random.next() % 4 == 0 ? 3 : 1)
        }
        return word
    }

    /// Bytes that stress chunk cuts: letters, runs of spaces, CR LF and LF, tabs, digits, UTF-8 letters.
    private func randomText(count: Int, using random: inout SplitMix64) -> [UInt8] {
        let pieces = ["a", "Zz", " ", "  ", "\n", "\r\n", "\t", "7", "42", ",", "'s", "é", "日本", " \n"].map { Array($0.utf8) }
        var text: [UInt8] = []
        while text.count < count { text += pieces[Int(random.next() % UInt64(pieces.count))] }
        return text
    }

    private func dictionary(_ counts: WordCounts) -> [[UInt8]: Int] {
        var words: [[UInt8]: Int] = [:]
        counts.forEach { bytes, count in words[Array(bytes), default: 0] += count }
        return words
    }

    private func sampleText() throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try Array(Data(contentsOf: root.appendingPathComponent("Sources/seed/Resources/sample/macbeth_gut.txt")))
    }

    private func pair(_ left: Int, _ right: Int) -> TokenPair {
        TokenPair(left: Int32(left), right: Int32(right))
    }

    /// The script's standard output, nil when python3 is missing or the script fails.
    private func runPython(_ script: String, arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
