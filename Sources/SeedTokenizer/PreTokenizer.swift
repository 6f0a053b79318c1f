/// The rules that cut text into pieces before BPE merges run inside each piece.
public enum SplitPattern: String, Sendable, CaseIterable, Codable {
    /// GPT-2 (r50k): `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// GPT-4 (cl100k_base), as tiktoken applies it.
    case gpt4
    /// Llama 3's tokenizer.json variant of cl100k.
    case llama3
}

/// PLACEHOLDER: splits at spaces until the hand-written scanners land.
public struct PreTokenizer: Sendable {
    public let pattern: SplitPattern

    public init(pattern: SplitPattern) { self.pattern = pattern }

    /// Calls `body` with the byte range of every piece, in order; the pieces cover `text` exactly.
    public func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0
        for i in 0..<text.count where i > start && text[i] == 0x20 {
            body(start..<i)
            start = i
        }
        if start < text.count { body(start..<text.count) }
    }
}
