import Foundation
import XCTest
@testable import SeedTokenizer

final class PreTokenizerTests: XCTestCase {
    // MARK: - Hand-written cases

    func testGPT2Pieces() {
        let cases: [(String, [String])] = [
            ("Hello world", ["Hello", " world"]),
            // Contractions are lowercase ASCII only; a space before the apostrophe joins it instead.
            ("I'm sure they'll've gone; IT'S 'S we'Ll x'ſ it’s 'tis",
             ["I", "'m", " sure", " they", "'ll", "'ve", " gone", ";", " IT", "'", "S", " '", "S", " we", "'", "Ll",
              " x", "'", "ſ", " it", "’", "s", " '", "tis"]),
            ("x'ſo y'Sa z'LLx w'rEd v'sound",
             ["x", "'", "ſo", " y", "'", "Sa", " z", "'", "LLx", " w", "'", "rEd", " v", "'s", "ound"]),
            ("a  b   c", ["a", " ", " b", "  ", " c"]),
            ("x\t\ty \tz", ["x", "\t", "\t", "y", " ", "\t", "z"]),
            ("line\r\n\r\nnext\n\n  indented", ["line", "\r\n\r", "\n", "next", "\n\n ", " indented"]),
            ("end  \n ", ["end", "  \n "]),
            ("12345 678 1234567", ["12345", " 678", " 1234567"]),
            ("$100, 3.14!!!\n\nok", ["$", "100", ",", " 3", ".", "14", "!!!", "\n", "\n", "ok"]),
            ("\tfoo  bar", ["\t", "foo", " ", " bar"]),
            ("你好，世界。日本語のテキスト", ["你好", "，", "世界", "。", "日本語のテキスト"]),
            ("Family 👨‍👩‍👧 ok 👍🏽!", ["Family", " 👨‍👩‍👧", " ok", " 👍🏽!"]),
            ("cafe\u{301} na\u{303}o", ["cafe", "\u{301}", " na", "\u{303}", "o"]),
            ("مرحبا بالعالم ١٢٣٤", ["مرحبا", " بالعالم", " ١٢٣٤"]),
            ("नमस्ते दुनिया", ["नमस", "्", "त", "े", " द", "ु", "न", "ि", "य", "ा"]),
            ("a\u{A0}b\u{3000}c\u{2028}d \u{85}e\u{200B}f\u{1C}g",
             ["a", "\u{A0}", "b", "\u{3000}", "c", "\u{2028}", "d", " ", "\u{85}", "e", "\u{200B}", "f", "\u{1C}", "g"]),
        ]
        for (text, pieces) in cases { XCTAssertEqual(split(text, .gpt2), pieces, text.debugDescription) }
    }

    func testGPT4Pieces() {
        let cases: [(String, [String])] = [
            ("Hello world", ["Hello", " world"]),
            // Contractions ignore case, and `(?i)s` takes U+017F too; any other scalar may lead a word.
            ("I'm sure they'll've gone; IT'S 'S we'Ll x'ſ it’s 'tis",
             ["I", "'m", " sure", " they", "'ll", "'ve", " gone", ";", " IT", "'S", " '", "S", " we", "'Ll", " x", "'ſ",
              " it", "’s", " '", "tis"]),
            ("x'ſo y'Sa z'LLx w'rEd v'sound",
             ["x", "'ſ", "o", " y", "'S", "a", " z", "'LL", "x", " w", "'rE", "d", " v", "'s", "ound"]),
            ("a  b   c", ["a", " ", " b", "  ", " c"]),
            ("x\t\ty \tz", ["x", "\t", "\ty", " ", "\tz"]),
            ("line\r\n\r\nnext\n\n  indented", ["line", "\r\n\r\n", "next", "\n\n", " ", " indented"]),
            ("end  \n ", ["end", "  \n "]),
            ("end\n  ", ["end", "\n  "]),
            ("12345 678 1234567", ["123", "45", " ", "678", " ", "123", "456", "7"]),
            ("$100, 3.14!!!\n\nok", ["$", "100", ",", " ", "3", ".", "14", "!!!\n\n", "ok"]),
            ("\tfoo  bar", ["\tfoo", " ", " bar"]),
            ("你好，世界。日本語のテキスト", ["你好", "，世界", "。日本語のテキスト"]),
            ("Family 👨‍👩‍👧 ok 👍🏽!", ["Family", " 👨‍👩‍👧", " ok", " 👍🏽!"]),
            ("cafe\u{301} na\u{303}o", ["cafe", "\u{301}", " na", "\u{303}o"]),
            ("مرحبا بالعالم ١٢٣٤", ["مرحبا", " بالعالم", " ", "١٢٣", "٤"]),
            ("नमस्ते दुनिया", ["नमस", "्त", "े", " द", "ुन", "िय", "ा"]),
            ("a\u{A0}b\u{3000}c\u{2028}d \u{85}e\u{200B}f\u{1C}g",
             ["a", "\u{A0}b", "\u{3000}c", "\u{2028}d", " ", "\u{85}e", "\u{200B}f", "\u{1C}g"]),
        ]
        for (text, pieces) in cases { XCTAssertEqual(split(text, .gpt4), pieces, text.debugDescription) }
    }

    /// Llama 3 splits like cl100k except at the end of the text, where cl100k keeps trailing whitespace whole.
    func testLlama3DiffersFromGPT4OnlyInTrailingWhitespace() {
        let cases: [(String, [String])] = [
            ("end  \n ", ["end", "  \n", " "]),
            ("end\n  ", ["end", "\n", "  "]),
            ("end  ", ["end", "  "]),
            ("a\r\n", ["a", "\r\n"]),
        ]
        for (text, pieces) in cases { XCTAssertEqual(split(text, .llama3), pieces, text.debugDescription) }
        let sameAsGPT4 = ["I'm sure they'll've gone; IT'S 'S we'Ll x'ſo y'Sa 'rEd", "x\t\ty \tz", "12345 678 1234567",
                          "line\r\n\r\nnext\n\n  indented", "Family 👨‍👩‍👧 ok 👍🏽!", "नमस्ते दुनिया"]
        for text in sameAsGPT4 { XCTAssertEqual(split(text, .llama3), split(text, .gpt4), text.debugDescription) }
    }

    /// Every byte that is not UTF-8 is one scalar of neither letters, digits nor whitespace.
    func testInvalidUTF8BytesAreOtherScalars() {
        let cases: [([UInt8], gpt2: [[UInt8]], gpt4: [[UInt8]])] = [
            ([0x61, 0xFF, 0x62], gpt2: [[0x61], [0xFF], [0x62]], gpt4: [[0x61], [0xFF, 0x62]]),
            ([0x61, 0x62, 0xE4, 0xBD], gpt2: [[0x61, 0x62], [0xE4, 0xBD]], gpt4: [[0x61, 0x62], [0xE4, 0xBD]]),
            // An overlong "/", a surrogate, a value past U+10FFFF, a lead byte before a letter, stray continuations.
            ([0x20, 0xC0, 0xAF, 0x78], gpt2: [[0x20, 0xC0, 0xAF], [0x78]], gpt4: [[0x20, 0xC0, 0xAF], [0x78]]),
            ([0xED, 0xA0, 0x80, 0x31], gpt2: [[0xED, 0xA0, 0x80], [0x31]], gpt4: [[0xED, 0xA0, 0x80], [0x31]]),
            ([0xF4, 0x90, 0x80, 0x80], gpt2: [[0xF4, 0x90, 0x80, 0x80]], gpt4: [[0xF4, 0x90, 0x80, 0x80]]),
            ([0xC3, 0x41], gpt2: [[0xC3], [0x41]], gpt4: [[0xC3, 0x41]]),
            ([0x80, 0x80, 0x20, 0x61], gpt2: [[0x80, 0x80], [0x20, 0x61]], gpt4: [[0x80, 0x80], [0x20, 0x61]]),
            ([0xE4, 0xBD, 0xA0, 0xE4, 0xBD], gpt2: [[0xE4, 0xBD, 0xA0], [0xE4, 0xBD]], gpt4: [[0xE4, 0xBD, 0xA0], [0xE4, 0xBD]]),
            ([0x27, 0xC5], gpt2: [[0x27, 0xC5]], gpt4: [[0x27, 0xC5]]),
        ]
        for (bytes, gpt2, gpt4) in cases {
            XCTAssertEqual(split(bytes, .gpt2), gpt2, "\(bytes)")
            XCTAssertEqual(split(bytes, .gpt4), gpt4, "\(bytes)")
            XCTAssertEqual(split(bytes, .llama3), gpt4, "\(bytes)")
        }
    }

    func testPiecesCoverAnyBytesInOrder() {
        var random = SplitMix64(seed: 1)
        for _ in 0..<200 {
            let bytes = Self.mixedBytes(count: Int.random(in: 0...300, using: &random), using: &random)
            for pattern in SplitPattern.allCases {
                let ranges = bytes.withUnsafeBufferPointer { PreTokenizer(pattern: pattern).ranges($0) }
                XCTAssertEqual(ranges.first?.lowerBound ?? 0, 0)
                XCTAssertEqual(ranges.last?.upperBound ?? 0, bytes.count)
                XCTAssert(ranges.allSatisfy { !$0.isEmpty })
                XCTAssert(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            }
        }
    }

    // MARK: - Regex strings

    func testRegexRoundTripsAndRecognisesThePeersStrings() {
        for pattern in SplitPattern.allCases { XCTAssertEqual(SplitPattern(regex: pattern.regex), pattern) }
        for (regex, pattern) in Self.peerRegexes { XCTAssertEqual(SplitPattern(regex: regex), pattern, regex) }
        XCTAssertEqual(SplitPattern.gpt2.regex, Self.gpt2Original)
        XCTAssertEqual(SplitPattern.llama3.regex, Self.llama3Original)
        XCTAssertNil(SplitPattern(regex: ""))
        XCTAssertNil(SplitPattern(regex: #"\p{N}{1,2}"#))
        XCTAssertNil(SplitPattern(regex: Self.cl100kOriginal.replacingOccurrences(of: "{1,3}", with: "{1,2}")))
    }

    // MARK: - Exactness against the peers

    func testMatchesPeersOnStressText() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("stress.txt")
        try Data(Self.stressText.utf8).write(to: text)
        var jobs = SplitPattern.allCases.flatMap { Self.peers(for: $0, on: text, hfSplitForGPT2: true) }
        // Oniguruma reads tiktoken's `\p{N}{1,3}+` as unlimited digits, so only the regex module checks that string.
        for (regex, pattern) in Self.peerRegexes + SplitPattern.allCases.map({ ($0.regex, $0) }) {
            jobs.append(PeerJob(text: text, pattern: pattern, peer: "regex", regex: regex))
            if regex != Self.cl100kOriginal { jobs.append(PeerJob(text: text, pattern: pattern, peer: "hf-split", regex: regex)) }
        }
        try runPeers(jobs, in: folder)
    }

    func testMatchesPeersOnBytesThatAreNotUTF8() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("mixed.bin")
        var random = SplitMix64(seed: 2)
        try Data(Self.mixedBytes(count: 200_000, using: &random)).write(to: text)
        let jobs = SplitPattern.allCases.flatMap { Self.peers(for: $0, on: text).filter { $0.peer == "regex" } }
        try runPeers(jobs, in: folder)
    }

    func testMatchesPeersOnShakespeare() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/shakespeare")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpus.path))?.filter { $0.hasSuffix(".txt") }
        guard let names, !names.isEmpty else { throw XCTSkip("the Shakespeare corpus is not at \(corpus.path)") }
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("shakespeare.txt")
        try Data(names.sorted().map { try Data(contentsOf: corpus.appendingPathComponent($0)) }.joined()).write(to: text)
        try runPeers(SplitPattern.allCases.flatMap { Self.peers(for: $0, on: text) }, in: folder)
    }

    /// Every scalar, in context; the few that only Unicode versions newer than Oniguruma's assign are checked
    /// against the regex module alone.
    func testMatchesPeersOnEveryScalar() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let common = folder.appendingPathComponent("all-scalars.txt"), skewed = folder.appendingPathComponent("skewed.txt")
        let jobs = SplitPattern.allCases.flatMap {
            Self.peers(for: $0, on: common, hfSplitForGPT2: true) + Self.peers(for: $0, on: skewed).filter { $0.peer == "regex" }
        }
        let summary = try runPeers(jobs, in: folder, allScalars: (common, skewed))
        let skewedCount = try XCTUnwrap(summary["skewed_scalars"] as? Int)
        XCTAssertLessThan(skewedCount, 20_000, "the peers disagree on too many scalars to blame Unicode versions")
        let commonSize = try FileManager.default.attributesOfItem(atPath: common.path)[.size] as? Int ?? 0
        XCTAssertGreaterThan(commonSize, 4_000_000)
    }

    // MARK: - Helpers

    private func split(_ text: String, _ pattern: SplitPattern) -> [String] {
        split(Array(text.utf8), pattern).map { String(decoding: $0, as: UTF8.self) }
    }

    private func split(_ bytes: [UInt8], _ pattern: SplitPattern) -> [[UInt8]] {
        bytes.withUnsafeBufferPointer { buffer in PreTokenizer(pattern: pattern).ranges(buffer).map { Array(buffer[$0]) } }
    }

    private struct PeerJob {
        var text: URL
        var pattern: SplitPattern
        var peer: String
        var regex: String?
    }

    /// The peers every pattern is checked against; HF's Split form of GPT-2 is left out of the big texts
    /// because ByteLevel runs the same regex through the same engine.
    private static func peers(for pattern: SplitPattern, on text: URL, hfSplitForGPT2: Bool = false) -> [PeerJob] {
        switch pattern {
        case .gpt2:
            return [PeerJob(text: text, pattern: .gpt2, peer: "hf-bytelevel"),
                    PeerJob(text: text, pattern: .gpt2, peer: "regex", regex: r50kOriginal)]
                + (hfSplitForGPT2 ? [PeerJob(text: text, pattern: .gpt2, peer: "hf-split", regex: SplitPattern.gpt2.regex)] : [])
        case .gpt4:
            return [PeerJob(text: text, pattern: .gpt4, peer: "hf-split", regex: SplitPattern.gpt4.regex),
                    PeerJob(text: text, pattern: .gpt4, peer: "regex", regex: cl100kOriginal)]
        case .llama3:
            return [PeerJob(text: text, pattern: .llama3, peer: "hf-split", regex: SplitPattern.llama3.regex),
                    PeerJob(text: text, pattern: .llama3, peer: "regex", regex: llama3Original)]
        }
    }

    /// Runs pretokenize_reference.py on the jobs and compares each job's pieces with the scanner's.
    @discardableResult
    private func runPeers(_ jobs: [PeerJob], in folder: URL, allScalars: (URL, URL)? = nil) throws -> [String: Any] {
        var request: [String: Any] = [:]
        if let (common, skewed) = allScalars { request["all_scalars"] = ["common": common.path, "skewed": skewed.path] }
        request["jobs"] = jobs.enumerated().map { index, job in
            ["text": job.text.path, "peer": job.peer, "regex": job.regex ?? "",
             "out": folder.appendingPathComponent("\(index).u32").path]
        }
        let requestFile = folder.appendingPathComponent("request.json")
        try JSONSerialization.data(withJSONObject: request).write(to: requestFile)
        let output = try Self.runReference(requestFile)

        var texts: [URL: [UInt8]] = [:]
        for (index, job) in jobs.enumerated() {
            let bytes = try texts[job.text] ?? [UInt8](Data(contentsOf: job.text))
            texts[job.text] = bytes
            let peerEnds = try Data(contentsOf: folder.appendingPathComponent("\(index).u32")).withUnsafeBytes {
                $0.bindMemory(to: UInt32.self).map { Int(UInt32(littleEndian: $0)) }
            }
            let scannerEnds = bytes.withUnsafeBufferPointer { PreTokenizer(pattern: job.pattern).ranges($0).map(\.upperBound) }
            if let mismatch = Self.firstMismatch(bytes, scannerEnds, peerEnds) {
                XCTFail("\(job.pattern) vs \(job.peer) \(job.regex ?? "") on \(job.text.lastPathComponent): \(mismatch)")
            }
        }
        return try JSONSerialization.jsonObject(with: output) as? [String: Any] ?? [:]
    }

    private static func runReference(_ requestFile: URL) throws -> Data {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Python/pretokenize_reference.py")
        // Errors go to a file: a pipe that nobody reads while stdout is drained could fill up and stall Python.
        let errorFile = requestFile.deletingLastPathComponent().appendingPathComponent("stderr.txt")
        try Data().write(to: errorFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, requestFile.path]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: errorFile)
        do { try process.run() } catch { throw XCTSkip("python3 is not available") }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: return output
        case 3: throw XCTSkip("python3 lacks the tokenizers or regex package")
        case 127: throw XCTSkip("python3 is not available")
        default: throw PeerFailure(message: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
        }
    }

    private struct PeerFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "pretokenize_reference.py failed: \(message)" }
    }

    /// Shows the pieces around the first boundary where scanner and peer part ways.
    private static func firstMismatch(_ bytes: [UInt8], _ scanner: [Int], _ peer: [Int]) -> String? {
        guard scanner != peer else { return nil }
        let index = zip(scanner, peer).prefix { $0 == $1 }.count
        let from = index >= 3 ? scanner[index - 3] : 0
        func pieces(_ ends: [Int]) -> String {
            var start = from
            return ends[index...].prefix(4).map { end in
                defer { start = end }
                return String(decoding: bytes[start..<end], as: UTF8.self).debugDescription
            }.joined(separator: " ")
        }
        return "piece \(index) of \(scanner.count) (peer: \(peer.count)) from byte \(from): "
            + "scanner \(pieces(scanner)), peer \(pieces(peer))"
    }

    private static func temporaryFolder(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("seed-pretokenizer-\(getpid())-\(name.filter { $0.isLetter })")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Bytes that hit every scanner path: ASCII classes, contractions, valid multi-byte scalars of each class,
    /// and broken UTF-8 of every kind.
    private static func mixedBytes(count: Int, using random: inout some RandomNumberGenerator) -> [UInt8] {
        let fragments: [[UInt8]] = ["a", "Zq", " ", "  ", "\t", "\r\n", "\n", "7", "'", "'s", "'LL", "'ſ", ".", "!?",
                                    "é", "中", "٣", "\u{3000}", "\u{85}", "\u{2028}", "😀", "\u{200D}", "\u{301}"].map { Array($0.utf8) }
        let broken: [[UInt8]] = [[0x80], [0xBF], [0xC0, 0xAF], [0xC3], [0xE4, 0xBD], [0xED, 0xA0, 0x80], [0xF0, 0x9F],
                                 [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFF], [0xC5]]
        var bytes: [UInt8] = []
        while bytes.count < count {
            bytes += Int.random(in: 0..<4, using: &random) == 0
                ? broken.randomElement(using: &random)! : fragments.randomElement(using: &random)!
        }
        return Array(bytes.prefix(count))
    }

    // MARK: - Texts and the peers' own regexes

    static let gpt2Original = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let r50kOriginal = #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
    static let cl100kOriginal = #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
    /// Also tiktoken's cl100k before it took possessive forms.
    static let llama3Original = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Regex strings met in the wild, with the pattern whose pieces they produce.
    static let peerRegexes: [(String, SplitPattern)] = [
        (gpt2Original, .gpt2),
        (#"'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}]+| ?[\p{N}]+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#, .gpt2),
        (r50kOriginal, .gpt2),
        (cl100kOriginal, .gpt4),
        (llama3Original, .llama3),
        // minbpe's GPT-4 pattern: possessive, but without `\s++$`.
        (#"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"#, .llama3),
    ]

    /// Every `\s` candidate (the peers' White_Space and the scalars Swift or Python call space but they don't)
    /// in each context the patterns treat differently, after prose in many scripts.
    static var stressText: String {
        var text = """
        Hello, World! It's 2026-11-25; the café's crème brûlée costs €12.50 (≈ $13).
        中文文本没有空格，分词器必须正确处理。日本語のテキストも、カタカナとひらがなを混ぜて。한국어 문장도 있습니다.
        Emoji: 👩‍👩‍👧‍👦 family, 👍🏽 thumbs, 🏳️‍🌈 flag, 🇫🇷🇩🇪 flags, ❤️‍🔥 heart on fire.
        Combining: e\u{301}e\u{301} a\u{308}\u{304} n\u{303}o Z\u{335}\u{30D}a\u{336}\u{30C}l\u{337}g\u{338}o.
        Arabic: مرحبا بالعالم، هذا نص عربي ١٢٣٤٥٦. Hebrew: שלום עולם. Devanagari: नमस्ते दुनिया १२३४.
        CRLF line\r\nnext line\r\n\r\n\n\n   indented after blank lines\r\r\n \r\n\t
           \n \n\t\n trailing spaces here   \nDigits: 1234567890123456789 3.14159 1,000,000 0x1F600 ٣٤٥ Ⅻ ½²
        Contractions: don't DON'T I'M you'Re we'VE they'll SHE'D it'S o'clock rock'n'roll 'tis ’s 'ſ 'S 'ﬅ 'K
        Symbols: <|endoftext|> --> ==> ... !!!\n??? ©®™ ∑∫√ 😀😃😄 a.\r\nb
        Mixed:abc123def456 CamelCaseWord snake_case_word kebab-case https://example.com/a?b=c&d=e#f

        """
        let candidates: [UInt32] = Array(0x09...0x0D) + Array(0x1C...0x20) + [0x85, 0xA0, 0x1680, 0x180E]
            + Array(0x2000...0x200B) + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF]
        for value in candidates {
            let c = String(Unicode.Scalar(value)!)
            text += "a\(c)b \(c)\(c)1 \(c)'s\(c)\(c)\n\(c) x\(c).\(c)\r\n\(c)\(c)\(c)ab\(c) 12\(c)\(c) !\(c)\n"
        }
        return text + "ends with spaces and newlines  \n\n  "
    }
}
