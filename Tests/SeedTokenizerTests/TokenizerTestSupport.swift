import Foundation
import XCTest
@testable import SeedTokenizer

/// Text that breaks careless tokenizers: scripts without spaces, emoji built from several scalars, combining
/// marks, right-to-left text, every kind of white space and line break, long digit runs, odd contractions.
let unicodeStressText = """
Hello, World! It's 2026-11-25; the café's crème brûlée costs €12.50 (≈ $13).
中文文本没有空格，分词器必须正确处理。日本語のテキストも、カタカナとひらがなを混ぜて。한국어 문장도 있습니다.
Emoji: 👩‍👩‍👧‍👦 family, 👍🏽 thumbs, 🏳️‍🌈 flag, 🇫🇷🇩🇪 flags, ❤️‍🔥 heart on fire.
Combining: e\u{301}e\u{301} a\u{308}\u{304} n\u{303}o Z\u{335}\u{30D}a\u{336}\u{30C}l\u{337}g\u{338}o.
Arabic: مرحبا بالعالم، هذا نص عربي ١٢٣٤٥٦. Hebrew: שלום עולם. Devanagari: नमस्ते दुनिया १२३.
Whitespace:\ttab\t\tdouble tab\u{00A0}nbsp\u{2003}em\u{3000}ideographic\u{2028}line\u{2029}para\u{85}nel end
CRLF line\r\nnext line\r\n\r\n\n\n   indented after blank lines
   \n \n\t\n trailing spaces here   \nDigits: 1234567890123456789 3.14159 1,000,000 0x1F600 ٣٤٥
Contractions: don't DON'T I'M you'Re we'VE they'll SHE'D it'S o'clock rock'n'roll 'tis ’s 'ſ
Symbols: <|endoftext|> <|im_start|> --> ==> ... !!! ??? ©®™ ½ ² ∑∫√ 😀😃😄
Mixed:abc123def456 CamelCaseWord snake_case_word kebab-case-word URL https://example.com/a?b=c&d=e#f
Invalid-looking but valid: \u{FEFF}BOM \u{200B}zero\u{200B}width \u{200D}joiner \u{E000}private \u{10FFFF}last
ends with spaces and newlines  \n\n  
"""

enum TestCorpus {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Shakespeare plays: the shared corpus when the checkout sits beside it, else the sample shipped with seed.
    static func files(limit: Int = 8) -> [URL] {
        let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/shakespeare")
        let sample = repositoryRoot.appendingPathComponent("Sources/seed/Resources/sample")
        let folder = FileManager.default.fileExists(atPath: shared.path) ? shared : sample
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().prefix(limit).map { folder.appendingPathComponent($0) }
    }

    static func text(limit: Int = 8) -> String {
        files(limit: limit).map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }.joined()
    }
}

func temporaryFolder(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("seed-tokenizer-tests-\(getpid())-\(name.filter { $0.isLetter || $0.isNumber })")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

extension Tokenizer {
    func ids(_ text: String, allowedSpecial: SpecialTokenPolicy = .none) -> [Int32] {
        encode(text, allowedSpecial: allowedSpecial)
    }
}

/// A small seeded generator, so that every random text is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
