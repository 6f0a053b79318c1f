import Foundation
import XCTest
@testable import SeedTrain
import SeedTokenizer

final class TokenShardTests: XCTestCase {
    private var folder: URL!
    private let fm = FileManager.default

    override func setUpWithError() throws {
        folder = fm.temporaryDirectory.appendingPathComponent("seed-shards-\(UUID().uuidString)")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? fm.removeItem(at: folder)
    }

    private func header(magic: Int32 = 20240520, version: Int32 = 1, count: Int32) -> [UInt8] {
        var ints = [Int32](repeating: 0, count: 256)
        ints[0] = magic; ints[1] = version; ints[2] = count
        return ints.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (8 * $0)) } }
    }

    private func assertShardError(_ bytes: [UInt8], _ expected: TokenShardError, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = folder.appendingPathComponent("bad.bin")
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try TokenShard(contentsOf: url), file: file, line: line) { error in
            XCTAssertEqual(error as? TokenShardError, expected, file: file, line: line)
            XCTAssertTrue("\(error)".contains(url.path), file: file, line: line)
        }
    }

    func testVersion1RoundTripAndLayout() throws {
        let url = folder.appendingPathComponent("train.bin")
        let tokens: [Int32] = [0, 1, 255, 65535, 7, 300]
        try TokenShard.write(tokens, vocabularySize: 65536, to: url)
        let raw = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(Array(raw[0..<1024]), header(version: 1, count: 6))
        XCTAssertEqual(Array(raw[1024...]), [0, 0, 1, 0, 255, 0, 255, 255, 7, 0, 44, 1])
        let shard = try TokenShard(contentsOf: url)
        XCTAssertEqual(shard.version, 1)
        XCTAssertEqual(shard.count, 6)
        XCTAssertEqual(shard.tokens, tokens)
        XCTAssertEqual(shard[3], 65535)
        XCTAssertEqual(shard.vocabularyBound, 65536)
        var window = [Int32](repeating: -1, count: 3)
        window.withUnsafeMutableBufferPointer { shard.copy(from: 2, count: 3, into: $0.baseAddress!) }
        XCTAssertEqual(window, [255, 65535, 7])
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: folder.path), ["train.bin"], "no temp file is left behind")
    }

    func testVersion2ForLargeVocabularies() throws {
        let url = folder.appendingPathComponent("big.bin")
        let writer = try TokenShardWriter(url: url, vocabularySize: 100_000)
        XCTAssertEqual(writer.version, 2)
        try writer.append([1, 65536])
        try [Int32](repeating: 99_999, count: 3).withUnsafeBufferPointer { try writer.append($0) }
        XCTAssertFalse(fm.fileExists(atPath: url.path), "nothing at the target before finish")
        try writer.finish()
        let raw = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(Array(raw[0..<1024]), header(version: 2, count: 5))
        XCTAssertEqual(Array(raw[1024..<1032]), [1, 0, 0, 0, 0, 0, 1, 0])
        let shard = try TokenShard(contentsOf: url)
        XCTAssertEqual(shard.version, 2)
        XCTAssertEqual(shard.tokens, [1, 65536, 99_999, 99_999, 99_999])
        XCTAssertEqual(shard.vocabularyBound, 100_000)
        var window = [Int32](repeating: 0, count: 2)
        window.withUnsafeMutableBufferPointer { shard.copy(from: 1, count: 2, into: $0.baseAddress!) }
        XCTAssertEqual(window, [65536, 99_999])
    }

    func testEmptyShard() throws {
        let url = folder.appendingPathComponent("empty.bin")
        try TokenShard.write([], vocabularySize: 256, to: url)
        let shard = try TokenShard(contentsOf: url)
        XCTAssertEqual(shard.count, 0)
        XCTAssertEqual(shard.vocabularyBound, 0)
        XCTAssertEqual(try Data(contentsOf: url).count, 1024)
    }

    func testReadErrors() throws {
        let missing = folder.appendingPathComponent("nope.bin")
        XCTAssertThrowsError(try TokenShard(contentsOf: missing)) {
            XCTAssertEqual($0 as? TokenShardError, .missing(missing.path))
            XCTAssertTrue("\($0)".contains("seed data tokenize"))
        }
        let path = folder.appendingPathComponent("bad.bin").path
        try assertShardError([1, 2, 3], .tooShort(path, size: 3))
        try assertShardError(header(magic: 1234, count: 0), .badMagic(path, magic: 1234))
        try assertShardError(header(version: 3, count: 0), .unknownVersion(path, version: 3))
        try assertShardError(header(count: 3) + [1, 0, 2, 0], .countMismatch(path, header: 3, inFile: 2))
        try assertShardError(header(count: 2) + [1, 0, 2, 0, 3, 0], .countMismatch(path, header: 2, inFile: 3))
        try assertShardError(header(count: 2) + [1, 0, 2], .countMismatch(path, header: 2, inFile: 1))
        try assertShardError(header(version: 2, count: 1) + [1, 0], .countMismatch(path, header: 1, inFile: 0))
        try assertShardError(header(count: -1), .countMismatch(path, header: -1, inFile: 0))
        XCTAssertTrue(TokenShardError.badMagic(path, magic: 1234).description.contains("is not a token shard (magic 1234"))
    }

    func testWriterRefusesOutOfRangeTokensAndLeavesTheOldShard() throws {
        let url = folder.appendingPathComponent("train.bin")
        try TokenShard.write([1, 2, 3], vocabularySize: 256, to: url)
        let before = try Data(contentsOf: url)
        XCTAssertThrowsError(try TokenShard.write([1, 256], vocabularySize: 256, to: url)) {
            XCTAssertEqual($0 as? TokenShardError, .tokenOutOfRange(url.path, token: 256, vocabulary: 256))
        }
        XCTAssertThrowsError(try TokenShard.write([-1], vocabularySize: 256, to: url))
        let writer = try TokenShardWriter(url: url, vocabularySize: 256)
        try writer.append([9, 9, 9, 9])
        writer.cancel()
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: folder.path), ["train.bin"])
        XCTAssertThrowsError(try TokenShardWriter(url: folder.appendingPathComponent("no/dir/x.bin"), vocabularySize: 256))
    }

    func testByteTokenizer() {
        let text = Array("héllo\n\u{0}".utf8)
        let tokenizer = ByteTokenizer()
        let ids = text.withUnsafeBufferPointer { tokenizer.encode($0) }
        XCTAssertEqual(ids, text.map { Int32($0) })
        XCTAssertEqual(tokenizer.decode(ids), text)
        XCTAssertEqual(tokenizer.vocabularySize, 256)
    }

    // MARK: corpus

    private func write(_ text: String, _ relative: String, in base: URL) throws {
        let url = base.appendingPathComponent(relative)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    private func makeCorpus() throws -> URL {
        let corpus = folder.appendingPathComponent("corpus")
        let first = (0..<40).map { "first work, line \($0)\n" }.joined()
        let second = (0..<30).map { "SECOND WORK LINE \($0)\n" }.joined()
        try write(second, "b/second.txt", in: corpus)
        try write(first, "a.txt", in: corpus)
        try write("secret notes\n", ".hidden", in: corpus)
        try write("cached\n", ".git/objects", in: corpus)
        return corpus
    }

    func testCorpusSplitsEveryFileAndAddsUp() throws {
        let corpus = try makeCorpus()
        let out = folder.appendingPathComponent("data")
        let summary = try CorpusTokenizer.tokenize(inputs: [corpus], tokenizer: ByteTokenizer(), outputDirectory: out,
                                                   validationFraction: 0.1)
        let first = try String(contentsOf: corpus.appendingPathComponent("a.txt"))
        let second = try String(contentsOf: corpus.appendingPathComponent("b/second.txt"))
        XCTAssertEqual(summary.files, 2)
        XCTAssertEqual(summary.bytes, first.utf8.count + second.utf8.count)
        XCTAssertEqual(summary.trainTokens + summary.valTokens, summary.bytes)

        let train = String(decoding: try TokenShard(contentsOf: out.appendingPathComponent("train.bin")).tokens.map { UInt8($0) }, as: UTF8.self)
        let val = String(decoding: try TokenShard(contentsOf: out.appendingPathComponent("val.bin")).tokens.map { UInt8($0) }, as: UTF8.self)
        XCTAssertEqual(summary.trainTokens, train.utf8.count)
        XCTAssertEqual(summary.valTokens, val.utf8.count)
        // Files in path order (a.txt, then b/second.txt); each gives whole trailing lines to validation.
        let firstVal = first.split(separator: "\n").suffix(4).map { $0 + "\n" }.joined()
        let secondVal = second.split(separator: "\n").suffix(3).map { $0 + "\n" }.joined()
        XCTAssertEqual(val, firstVal + secondVal)
        XCTAssertTrue(train.hasPrefix("first work, line 0\n"))
        XCTAssertTrue(train.hasSuffix("SECOND WORK LINE 26\n"))
        XCTAssertFalse(train.contains("secret") || val.contains("cached"), "hidden files are skipped")
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: out.path)), ["train.bin", "val.bin"])

        // Files named one by one, in any order, give the same shards.
        let again = folder.appendingPathComponent("again")
        _ = try CorpusTokenizer.tokenize(inputs: [corpus.appendingPathComponent("b/second.txt"), corpus.appendingPathComponent("a.txt"), corpus],
                                         tokenizer: ByteTokenizer(), outputDirectory: again)
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("train.bin")), try Data(contentsOf: out.appendingPathComponent("train.bin")))
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("val.bin")), try Data(contentsOf: out.appendingPathComponent("val.bin")))
    }

    func testCorpusErrorsWriteNothing() throws {
        let corpus = try makeCorpus()
        let out = folder.appendingPathComponent("data")
        let missing = folder.appendingPathComponent("missing.txt")
        XCTAssertThrowsError(try CorpusTokenizer.tokenize(inputs: [corpus, missing], tokenizer: ByteTokenizer(), outputDirectory: out)) {
            XCTAssertEqual($0 as? CorpusTokenizerError, .missingInput(missing.path))
        }
        XCTAssertFalse(fm.fileExists(atPath: out.path))

        let empty = folder.appendingPathComponent("empty")
        try fm.createDirectory(at: empty.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try write("x", ".git/HEAD", in: empty)
        XCTAssertThrowsError(try CorpusTokenizer.tokenize(inputs: [empty], tokenizer: ByteTokenizer(), outputDirectory: out)) {
            XCTAssertEqual($0 as? CorpusTokenizerError, .noFiles([empty.path]))
        }
        XCTAssertThrowsError(try CorpusTokenizer.tokenize(inputs: [], tokenizer: ByteTokenizer(), outputDirectory: out))
        XCTAssertThrowsError(try CorpusTokenizer.tokenize(inputs: [corpus], tokenizer: ByteTokenizer(), outputDirectory: out, validationFraction: 1)) {
            XCTAssertEqual($0 as? CorpusTokenizerError, .badFraction(1))
        }
        XCTAssertFalse(fm.fileExists(atPath: out.path))

        let file = corpus.appendingPathComponent("a.txt")
        let before = try Data(contentsOf: file)
        XCTAssertThrowsError(try CorpusTokenizer.tokenize(inputs: [corpus], tokenizer: ByteTokenizer(), outputDirectory: file)) {
            XCTAssertEqual($0 as? CorpusTokenizerError, .outputIsFile(file.path))
        }
        XCTAssertEqual(try Data(contentsOf: file), before)
    }

    func testZeroFractionWritesOnlyTrainAndRemovesAStaleVal() throws {
        let corpus = try makeCorpus()
        let out = folder.appendingPathComponent("data")
        _ = try CorpusTokenizer.tokenize(inputs: [corpus], tokenizer: ByteTokenizer(), outputDirectory: out)
        let summary = try CorpusTokenizer.tokenize(inputs: [corpus], tokenizer: ByteTokenizer(), outputDirectory: out, validationFraction: 0)
        XCTAssertEqual(summary.valTokens, 0)
        XCTAssertEqual(summary.trainTokens, summary.bytes)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: out.path), ["train.bin"])
    }

    func testSplitPoint() {
        func split(_ text: String, _ fraction: Double) -> Int {
            Array(text.utf8).withUnsafeBufferPointer { CorpusTokenizer.splitPoint($0, fraction: fraction) }
        }
        XCTAssertEqual(split("", 0.1), 0)
        XCTAssertEqual(split("abcdefghij", 0), 10)
        XCTAssertEqual(split("abcdefghij", 0.1), 9, "no newline: the exact cut, at least one byte for validation")
        XCTAssertEqual(split("abcdefghij", 0.3), 7)
        XCTAssertEqual(split("abcde\nfghij", 0.3), 6, "moved to just after the newline")
        XCTAssertEqual(split("abcdefghi\n", 0.1), 9, "a final newline does not empty validation")
        XCTAssertEqual(split("a", 0.5), 0)
    }
}
