/// Where a text may be cut into blocks that are split (and so counted or encoded) independently without
/// changing a single piece, under every split pattern (GPT-2, GPT-4, Llama 3). Big inputs are processed in
/// such blocks, in parallel or a block at a time.
enum TextCuts {
    /// A cut at `i` is safe in two cases, each making sure that the piece holding `text[i - 1]` ends at `i`
    /// and that no pattern reads across `i`:
    /// - `text[i - 1]` is an ASCII letter and `text[i]` a space. Only contractions and letter runs hold a
    ///   letter, and neither continues over a space.
    /// - `text[i - 1]` is a newline between two characters that are not white space (`"X\nY"`). A newline
    ///   after white space is not safe: in GPT-2, `" \nB"` splits `" "`, `"\n"`, but a block ending in
    ///   `" \n"` makes it one piece, since the end of text satisfies `\s+(?!\S)`. After `X` the newline is a
    ///   piece of its own (or ends `X`'s punctuation run in GPT-4), and `Y` cannot extend it. This rule is
    ///   what lets text without spaces, such as Chinese, be cut.
    /// In both cases the lookahead `(?!\S)` and the anchor `$`, the only places that read past a piece,
    /// are never tested at `i`, and no pattern looks behind, so the pieces from `i` on depend on `text[i...]`
    /// alone.
    static func isSafeCut(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i > 0, i < text.count else { return false }
        let before = text[i - 1], at = text[i]
        if at == 0x20 { return (before | 0x20) &- 0x61 < 26 }
        guard before == 0x0A, i >= 2, let base = text.baseAddress else { return false }
        let reader = ScalarReader(bytes: base, count: text.count)
        guard reader.scalar(at: i).0 != .whitespace else { return false }
        // The character before the newline: step back over continuation bytes to its first byte.
        var start = i - 2
        while start > max(0, i - 5), text[start] & 0xC0 == 0x80 { start -= 1 }
        let (kind, length) = reader.scalar(at: start)
        return start + length == i - 1 && kind != .whitespace
    }

    /// Ranges that cover `text` in order, about `parts` of them, each boundary a safe cut.
    static func cut(_ text: UnsafeBufferPointer<UInt8>, into parts: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for part in 1 ..< max(1, parts) {
            var end = max(start, text.count * part / parts)
            while end < text.count && !isSafeCut(text, at: end) { end += 1 }
            if end >= text.count { break }
            if end > start { ranges.append(start ..< end) }
            start = end
        }
        ranges.append(start ..< text.count)
        return ranges
    }

    /// The last safe cut in `text`, nil if there is none.
    static func lastSafeCut(in text: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = text.count - 1
        while i > 0 {
            if isSafeCut(text, at: i) { return i }
            i -= 1
        }
        return nil
    }
}
