/// The four kinds of scalar the split patterns tell apart: `\p{L}`, `\p{N}`, `\s`, and everything else.
///
/// `\s` is the Unicode White_Space property, as in both peers: Oniguruma (Hugging Face tokenizers) and Rust's
/// regex crate (tiktoken) match U+0009–000D, U+0020, U+0085, U+00A0, U+1680, U+2000–200A, U+2028, U+2029,
/// U+202F, U+205F and U+3000, and not U+001C–001F, U+180E, U+200B or U+FEFF. Python's `str.isspace` (and so
/// its `re` module) takes U+001C–001F too, and `Character.isWhitespace` judges whole grapheme clusters (a space
/// with a combining mark counts), so only the scalar property will do.
///
/// The categories come from the Swift runtime's Unicode tables, which may be newer than the peers': Swift 6.3
/// carries Unicode 17, tokenizers 0.23 and tiktoken 0.14 carry Unicode 16, so the 4,657 letters and digits
/// that Unicode 17 added are `.other` to the peers.
@usableFromInline
enum ScalarClass: UInt8 {
    case other
    case letter
    case number
    case whitespace

    init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = properties.isWhitespace ? .whitespace : .other
        }
    }

    /// Classifies a scalar beyond the table: rare in text (CJK extensions, tags, private use), so it pays for
    /// the property lookup instead of making the table eight times larger.
    @usableFromInline @inline(never)
    static func beyondTable(_ value: UInt32) -> ScalarClass {
        ScalarClass(Unicode.Scalar(value)!)
    }
}

/// The class of every scalar in planes 0 and 1 (where nearly all text and all emoji live), built once per
/// process on first use and never written again.
@usableFromInline
struct ScalarClassTable: @unchecked Sendable {
    /// Scalars from U+0000 up to (not including) this value are in the table.
    @inlinable static var limit: UInt32 { 0x2_0000 }

    @usableFromInline static let shared = ScalarClassTable()

    @usableFromInline let classes: UnsafePointer<ScalarClass>

    private init() {
        let table = UnsafeMutablePointer<ScalarClass>.allocate(capacity: Int(Self.limit))
        for value in 0..<Self.limit {
            // Surrogate code points never come out of the decoder; give their slots a harmless class.
            table[Int(value)] = Unicode.Scalar(value).map(ScalarClass.init) ?? .other
        }
        classes = UnsafePointer(table)
    }
}

/// Reads classified scalars out of raw bytes. Bytes that are not well-formed UTF-8 (the input may be any
/// file) each count as one scalar of class `.other`, so that every byte lands in exactly one piece and the
/// scan always moves forward.
@usableFromInline
struct ScalarReader {
    @usableFromInline let bytes: UnsafePointer<UInt8>
    @usableFromInline let count: Int
    @usableFromInline let classes: UnsafePointer<ScalarClass>

    @inlinable
    init(bytes: UnsafePointer<UInt8>, count: Int) {
        self.bytes = bytes
        self.count = count
        classes = ScalarClassTable.shared.classes
    }

    /// The class and byte length of the scalar that starts at `index` (less than `count`).
    @inlinable @inline(__always)
    func scalar(at index: Int) -> (ScalarClass, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (classes[Int(lead)], 1) }
        return multibyteScalar(at: index, lead: lead)
    }

    /// Decodes by the well-formed ranges of Unicode's table 3-7, which rule out overlong forms, surrogates
    /// and values past U+10FFFF.
    @inlinable
    func multibyteScalar(at index: Int, lead: UInt8) -> (ScalarClass, length: Int) {
        let available = count - index
        switch lead {
        case 0xC2...0xDF where available >= 2:
            let second = bytes[index + 1]
            guard second & 0xC0 == 0x80 else { break }
            return (classify(UInt32(lead & 0x1F) << 6 | UInt32(second & 0x3F)), 2)
        case 0xE0...0xEF where available >= 3:
            let second = bytes[index + 1], third = bytes[index + 2]
            let lowest: UInt8 = lead == 0xE0 ? 0xA0 : 0x80, highest: UInt8 = lead == 0xED ? 0x9F : 0xBF
            guard second >= lowest, second <= highest, third & 0xC0 == 0x80 else { break }
            let value = UInt32(lead & 0x0F) << 12 | UInt32(second & 0x3F) << 6 | UInt32(third & 0x3F)
            return (classify(value), 3)
        case 0xF0...0xF4 where available >= 4:
            let second = bytes[index + 1], third = bytes[index + 2], fourth = bytes[index + 3]
            let lowest: UInt8 = lead == 0xF0 ? 0x90 : 0x80, highest: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
            guard second >= lowest, second <= highest, third & 0xC0 == 0x80, fourth & 0xC0 == 0x80 else { break }
            let value = UInt32(lead & 0x07) << 18 | UInt32(second & 0x3F) << 12
                | UInt32(third & 0x3F) << 6 | UInt32(fourth & 0x3F)
            return (classify(value), 4)
        default:
            break
        }
        return (.other, 1)
    }

    @inlinable @inline(__always)
    func classify(_ value: UInt32) -> ScalarClass {
        value < ScalarClassTable.limit ? classes[Int(value)] : ScalarClass.beyondTable(value)
    }

    /// Where the run of scalars of class `kind` that starts at `start` ends.
    @inlinable
    func endOfRun(of kind: ScalarClass, from start: Int) -> Int {
        var index = start
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                guard classes[Int(byte)] == kind else { return index }
                index += 1
            } else {
                let (scalarClass, length) = multibyteScalar(at: index, lead: byte)
                guard scalarClass == kind else { return index }
                index += length
            }
        }
        return index
    }

    /// The landmarks of a whitespace run that the patterns' whitespace alternatives cut at.
    @usableFromInline
    struct WhitespaceRun {
        /// Where the run ends: the end of the text or the first scalar that is not `\s`.
        @usableFromInline var end: Int
        /// Where the run's last scalar starts (`\s+(?!\S)` stops there when the run is followed by text).
        @usableFromInline var lastScalarStart: Int
        /// Just past the run's last `\r` or `\n`, or the run's start when it holds neither.
        @usableFromInline var endOfLastLineBreak: Int

        @inlinable
        init(end: Int, lastScalarStart: Int, endOfLastLineBreak: Int) {
            self.end = end
            self.lastScalarStart = lastScalarStart
            self.endOfLastLineBreak = endOfLastLineBreak
        }
    }

    @inlinable
    func whitespaceRun(from start: Int) -> WhitespaceRun {
        var run = WhitespaceRun(end: start, lastScalarStart: start, endOfLastLineBreak: start)
        while run.end < count {
            let (scalarClass, length) = scalar(at: run.end)
            guard scalarClass == .whitespace else { break }
            run.lastScalarStart = run.end
            run.end += length
            let byte = bytes[run.lastScalarStart]
            if byte == 0x0A || byte == 0x0D { run.endOfLastLineBreak = run.end }
        }
        return run
    }
}
