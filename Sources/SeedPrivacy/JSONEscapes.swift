// JSON string escapes. Detection runs on the unescaped text; an untouched string is copied back byte for
// byte (so `\u00e9` stays `\u00e9`), and only replacements are escaped when written.

import Foundation

enum JSONEscapes {
    /// Decodes the body of a JSON string (without its quotes) into `out`. Lone surrogates become U+FFFD for
    /// detection only: the raw text is what gets written back. Returns false on a malformed escape.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        let n = raw.count
        guard n > 0, let source = raw.baseAddress else { return true }
        // Decoded text is never longer than its escapes, so it is written straight into `out`'s storage:
        // unescapes ran at an append (and a uniqueness check) per byte, on text that is mostly \uXXXX
        // escapes where Chinese is written that way.
        out.appendZeros(n)
        var written = 0
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            let d = buffer.baseAddress!
            var i = 0
            while i < n {
                let run = memchr(source + i, Int32(UInt8.backslash), n - i).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - source } ?? n
                if run > i {
                    (d + written).update(from: source + i, count: run - i)
                    written += run - i
                    i = run
                    if i == n { break }
                }
                guard let (scalar, length) = decodeEscape(raw, at: i) else { return false }
                written += writeUTF8(scalar, to: d + written)
                i += length
            }
            return true
        }
        out.removeLast(n - written)
        return ok
    }

    /// The scalar an escape at `i` stands for and how many raw bytes it spans (a surrogate pair spans 12).
    static func decodeEscape(_ raw: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int)? {
        guard i + 1 < raw.count else { return nil }
        switch raw[i + 1] {
        case UInt8(ascii: "\""): return (0x22, 2)
        case UInt8(ascii: "\\"): return (0x5C, 2)
        case UInt8(ascii: "/"): return (0x2F, 2)
        case UInt8(ascii: "b"): return (0x08, 2)
        case UInt8(ascii: "f"): return (0x0C, 2)
        case UInt8(ascii: "n"): return (0x0A, 2)
        case UInt8(ascii: "r"): return (0x0D, 2)
        case UInt8(ascii: "t"): return (0x09, 2)
        case UInt8(ascii: "u"):
            guard let high = hex4(raw, i + 2) else { return nil }
            if high >= 0xD800 && high < 0xDC00, i + 11 < raw.count, raw[i + 6] == .backslash, raw[i + 7] == UInt8(ascii: "u"),
               let low = hex4(raw, i + 8), low >= 0xDC00 && low < 0xE000 {
                return (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00), 12)
            }
            if high >= 0xD800 && high < 0xE000 { return (0xFFFD, 6) }
            return (high, 6)
        default:
            return nil
        }
    }

    private static func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32? {
        guard i + 4 <= raw.count else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let b = raw[k]
            guard isHexDigit(b) else { return nil }
            v = v << 4 | UInt32(hexValue(b))
        }
        return v
    }

    /// Writes `c` as UTF-8 at `d`; returns the bytes written.
    static func writeUTF8(_ c: UInt32, to d: UnsafeMutablePointer<UInt8>) -> Int {
        switch c {
        case ..<0x80:
            d[0] = UInt8(c)
            return 1
        case ..<0x800:
            d[0] = UInt8(0xC0 | (c >> 6))
            d[1] = UInt8(0x80 | (c & 0x3F))
            return 2
        case ..<0x10000:
            d[0] = UInt8(0xE0 | (c >> 12))
            d[1] = UInt8(0x80 | ((c >> 6) & 0x3F))
            d[2] = UInt8(0x80 | (c & 0x3F))
            return 3
        default:
            d[0] = UInt8(0xF0 | (c >> 18))
            d[1] = UInt8(0x80 | ((c >> 12) & 0x3F))
            d[2] = UInt8(0x80 | ((c >> 6) & 0x3F))
            d[3] = UInt8(0x80 | (c & 0x3F))
            return 4
        }
    }

    /// Number of UTF-8 bytes a scalar takes.
    static func utf8Length(_ c: UInt32) -> Int { c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4 }

    /// How a JSON line writes the characters beyond ASCII: as they are, or as `\uXXXX` escapes in lower- or
    /// upper-case hex (Python's `json.dumps` escapes them all by default, in lower case). A replacement is
    /// written the way its line writes them, so that restoring a desensitized line gives back its very
    /// bytes, and an all-ASCII line stays all ASCII.
    enum NonASCIIStyle: Equatable {
        case raw
        case escaped(upperCase: Bool)
    }

    /// The style of `line`: `raw` if it holds a byte beyond ASCII, `escaped` if it holds none but escapes a
    /// character beyond ASCII (in upper case if that escape's hex letters are), and `raw` when it shows
    /// neither, which is the shorter choice and as valid.
    static func nonASCIIStyle(of line: UnsafeBufferPointer<UInt8>) -> NonASCIIStyle {
        var escapesNonASCII = false
        // From the first escape with a hex letter: `\u7530` has none.
        var upperCase: Bool?
        var i = 0
        while i < line.count {
            let b = line[i]
            if b >= 0x80 { return .raw }
            guard b == .backslash else {
                i += 1
                continue
            }
            // Escapes are skipped whole, so that `\\u00e9` (a backslash, then text) is not read as one.
            if i + 1 < line.count, line[i + 1] == UInt8(ascii: "u"), let v = hex4(line, i + 2) {
                if v >= 0x80 { escapesNonASCII = true }
                if upperCase == nil, let letter = line[(i + 2)..<(i + 6)].first(where: isLetter) { upperCase = isUpper(letter) }
                i += 6
            } else {
                i += 2
            }
        }
        return escapesNonASCII ? .escaped(upperCase: upperCase ?? false) : .raw
    }

    /// Appends `text` escaped for the inside of a JSON string: quotes, backslashes and control characters,
    /// and, in the escaped style, every character beyond ASCII (as UTF-16 units: a surrogate pair beyond
    /// U+FFFF). Bytes that are not UTF-8 cannot be escaped and are copied as they are.
    static func appendEscaped(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], nonASCII style: NonASCIIStyle = .raw) {
        let escapesNonASCII = style != .raw
        // Surrogates, the usual replacement, need no escape: one copy.
        if !text.contains(where: { $0 == .quote || $0 == .backslash || $0 < 0x20 || (escapesNonASCII && $0 >= 0x80) }) {
            out.append(contentsOf: text)
            return
        }
        var i = 0
        while i < text.count {
            let b = text[i]
            if b >= 0x80, case .escaped(let upperCase) = style, let (scalar, length) = decodeUTF8(text, at: i) {
                if scalar >= 0x10000 {
                    appendUnicodeEscape(0xD800 + ((scalar - 0x10000) >> 10), upperCase: upperCase, to: &out)
                    appendUnicodeEscape(0xDC00 + ((scalar - 0x10000) & 0x3FF), upperCase: upperCase, to: &out)
                } else {
                    appendUnicodeEscape(scalar, upperCase: upperCase, to: &out)
                }
                i += length
                continue
            }
            switch b {
            case .quote: out.append(.backslash); out.append(.quote)
            case .backslash: out.append(.backslash); out.append(.backslash)
            case 0x0A: out.append(.backslash); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(.backslash); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(.backslash); out.append(UInt8(ascii: "t"))
            case ..<0x20: appendUnicodeEscape(UInt32(b), upperCase: false, to: &out)
            default: out.append(b)
            }
            i += 1
        }
    }

    /// `\uXXXX` for a UTF-16 unit.
    private static func appendUnicodeEscape(_ unit: UInt32, upperCase: Bool, to out: inout [UInt8]) {
        let letterBase: UInt32 = upperCase ? 55 : 87
        out.append(.backslash)
        out.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            let v = (unit >> UInt32(shift)) & 15
            out.append(UInt8(v < 10 ? 48 + v : letterBase + v))
        }
    }

    /// The scalar of the well-formed UTF-8 sequence at `i` and its length; nil for a byte that does not
    /// start one (a stray continuation byte, a truncated or overlong sequence, a surrogate).
    static func decodeUTF8(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int)? {
        let b = text[i]
        let length: Int, minimum: UInt32
        var scalar: UInt32
        switch b {
        case 0xC2...0xDF: (length, minimum, scalar) = (2, 0x80, UInt32(b & 0x1F))
        case 0xE0...0xEF: (length, minimum, scalar) = (3, 0x800, UInt32(b & 0x0F))
        case 0xF0...0xF4: (length, minimum, scalar) = (4, 0x10000, UInt32(b & 0x07))
        default: return nil
        }
        guard i + length <= text.count else { return nil }
        for k in 1..<length {
            let c = text[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
        return (scalar, length)
    }

    /// Maps offsets in the unescaped text to offsets in the raw string body. `offsets` must be ascending;
    /// each is answered in `raw` coordinates. Offsets always fall on character boundaries, which are escape
    /// boundaries too.
    static func rawOffsets(_ raw: UnsafeBufferPointer<UInt8>, unescaped offsets: inout [Int]) {
        var i = 0, u = 0, next = 0
        while next < offsets.count {
            // In place: each offset is read once, then overwritten with its raw counterpart.
            while next < offsets.count && offsets[next] <= u {
                offsets[next] = i
                next += 1
            }
            guard i < raw.count else { break }
            if raw[i] == .backslash, let (scalar, length) = decodeEscape(raw, at: i) {
                u += utf8Length(scalar)
                i += length
            } else {
                u += 1
                i += 1
            }
        }
        while next < offsets.count {
            offsets[next] = raw.count
            next += 1
        }
    }
}
