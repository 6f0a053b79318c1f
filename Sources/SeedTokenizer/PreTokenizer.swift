/// The rules that cut text into pieces before BPE merges run inside each piece.
public enum SplitPattern: String, Sendable, CaseIterable, Codable {
    /// GPT-2 (r50k): `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// GPT-4 (cl100k_base), as tiktoken applies it.
    case gpt4
    /// Llama 3's tokenizer.json variant of cl100k.
    case llama3
}

extension SplitPattern {
    /// The regex string written into tokenizer.json's Split pre-tokenizer for this pattern, in a form
    /// Hugging Face tokenizers (Oniguruma) interprets exactly like the scanner.
    ///
    /// For `.gpt4` this is tiktoken's cl100k with `\p{N}{1,3}+` written `\p{N}{1,3}`: Oniguruma's Ruby syntax
    /// reads the former as "one or more groups of one to three", and nothing follows the digits that could
    /// make the possessive form differ. `\s++$` stays possessive: Oniguruma's `$` also matches before any
    /// `\n`, and only the possessive run keeps it from stopping inside a whitespace run.
    public var regex: String {
        switch self {
        case .gpt2: return Self.gpt2Regex
        case .gpt4: return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .llama3: return Self.llama3Regex
        }
    }

    /// Recognises the regex strings found in real tokenizer.json files (GPT-2's, tiktoken's r50k, cl100k with and
    /// without the possessive forms, Llama 3's, and this type's own `regex`); nil for anything else.
    public init?(regex: String) {
        if let pattern = SplitPattern.allCases.first(where: { $0.regex == regex }) {
            self = pattern
            return
        }
        switch regex {
        case #"'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}]+| ?[\p{N}]+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
             #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#:
            self = .gpt2
        case #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#:
            self = .gpt4
        // minbpe's "GPT-4" pattern: possessive like cl100k but without `\s++$`, so it splits like Llama 3's.
        case #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"#:
            self = .llama3
        default:
            return nil
        }
    }

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Llama 3's pattern is also tiktoken's cl100k before it took possessive forms and `\s++$`.
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
}

/// Splits bytes into pre-tokens exactly as the pattern's regex would, with hand-written scanners: regex
/// engines spend most of their time backtracking through alternatives that these patterns decide from one
/// or two scalars of lookahead.
public struct PreTokenizer: Sendable {
    public let pattern: SplitPattern

    public init(pattern: SplitPattern) { self.pattern = pattern }

    /// Calls `body` with the byte range of every piece, in order; the pieces cover `text` exactly.
    @inlinable
    public func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        let reader = ScalarReader(bytes: base, count: text.count)
        var start = 0
        switch pattern {
        case .gpt2:
            while start < text.count {
                let end = reader.gpt2PieceEnd(from: start)
                body(start..<end)
                start = end
            }
        case .gpt4, .llama3:
            let trailingWhitespaceIsOnePiece = pattern == .gpt4
            while start < text.count {
                let end = reader.cl100kPieceEnd(from: start, trailingWhitespaceIsOnePiece: trailingWhitespaceIsOnePiece)
                body(start..<end)
                start = end
            }
        }
    }

    /// The byte ranges of the pieces of `text`, in order.
    public func ranges(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        split(text) { ranges.append($0) }
        return ranges
    }
}

extension ScalarReader {
    /// The end of the piece that starts at `start` under
    /// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`.
    @inlinable
    func gpt2PieceEnd(from start: Int) -> Int {
        let first = bytes[start]
        if first == Self.apostrophe, let end = contractionEnd(from: start, ignoringCase: false) { return end }
        let runStart = first == Self.space && start + 1 < count ? start + 1 : start
        let (kind, length) = scalar(at: runStart)
        if kind != .whitespace { return endOfRun(of: kind, from: runStart + length) }
        return whitespacePieceEnd(whitespaceRun(from: start), from: start)
    }

    /// The end of the piece that starts at `start` under cl100k's
    /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`,
    /// or, without `\s++$`, under Llama 3's pattern (its other differences are only in form).
    @inlinable
    func cl100kPieceEnd(from start: Int, trailingWhitespaceIsOnePiece: Bool) -> Int {
        let first = bytes[start]
        if first == Self.apostrophe, let end = contractionEnd(from: start, ignoringCase: true) { return end }
        let (kind, length) = scalar(at: start)
        let next = start + length
        switch kind {
        case .letter:
            return endOfRun(of: .letter, from: next)
        case .number:
            var end = next
            for _ in 0..<2 where end < count {
                let (nextKind, nextLength) = scalar(at: end)
                guard nextKind == .number else { break }
                end += nextLength
            }
            return end
        case .other, .whitespace:
            // Any single scalar but a line break or digit may lead a word.
            guard next < count, first != Self.lineFeed, first != Self.carriageReturn else { break }
            let (nextKind, nextLength) = scalar(at: next)
            if nextKind == .letter { return endOfRun(of: .letter, from: next + nextLength) }
            if kind == .whitespace, first == Self.space, nextKind == .other {
                return endOfPunctuation(from: next + nextLength)
            }
        }
        if kind == .other { return endOfPunctuation(from: next) }
        let run = whitespaceRun(from: start)
        if trailingWhitespaceIsOnePiece, run.end == count { return count }
        if run.endOfLastLineBreak > start { return run.endOfLastLineBreak }
        return whitespacePieceEnd(run, from: start)
    }

    /// `[^\s\p{L}\p{N}]++[\r\n]*+` after its first scalar: punctuation takes the line breaks that follow it.
    @inlinable
    func endOfPunctuation(from start: Int) -> Int {
        var end = endOfRun(of: .other, from: start)
        while end < count, bytes[end] == Self.lineFeed || bytes[end] == Self.carriageReturn { end += 1 }
        return end
    }

    /// `\s+(?!\S)|\s`, with the run reaching the end of the text taken whole (`\s++$`, and `(?!\S)` there).
    @inlinable
    func whitespacePieceEnd(_ run: WhitespaceRun, from start: Int) -> Int {
        run.end == count || run.lastScalarStart == start ? run.end : run.lastScalarStart
    }

    /// The end of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` at `start`, if one is there. Under Unicode
    /// simple case folding only `s` has a non-ASCII form: U+017F LATIN SMALL LETTER LONG S.
    @inlinable
    func contractionEnd(from start: Int, ignoringCase: Bool) -> Int? {
        guard start + 1 < count else { return nil }
        if ignoringCase, bytes[start + 1] == 0xC5 {
            return start + 2 < count && bytes[start + 2] == 0xBF ? start + 3 : nil
        }
        let caseMask: UInt8 = ignoringCase ? 0x20 : 0
        // Setting bit 5 only turns ASCII capitals into the lowercase letters compared with below.
        let second = bytes[start + 1] | caseMask
        switch second {
        case UInt8(ascii: "s"), UInt8(ascii: "d"), UInt8(ascii: "m"), UInt8(ascii: "t"):
            return start + 2
        case UInt8(ascii: "l"), UInt8(ascii: "v"), UInt8(ascii: "r"):
            guard start + 2 < count else { return nil }
            let expected = second == UInt8(ascii: "l") ? UInt8(ascii: "l") : UInt8(ascii: "e")
            return bytes[start + 2] | caseMask == expected ? start + 3 : nil
        default:
            return nil
        }
    }

    @inlinable static var apostrophe: UInt8 { 0x27 }
    @inlinable static var space: UInt8 { 0x20 }
    @inlinable static var lineFeed: UInt8 { 0x0A }
    @inlinable static var carriageReturn: UInt8 { 0x0D }
}
