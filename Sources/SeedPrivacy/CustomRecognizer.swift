import Foundation

/// A recognizer from a policy file: a regular expression, an optional validator and context words. It runs
/// NSRegularExpression over the text, which costs far more than the built-in scanner, unless the text lacks
/// the literal that the pattern begins with (`EMP-` in `EMP-\d{6}`): such a text is passed over at the
/// speed of `memmem`. Patterns that begin with something specific are cheap.
public struct CustomRecognizer: @unchecked Sendable {
    public let name: String
    public let type: EntityType
    public let validator: Validator?
    /// When not empty, a match counts only with one of these words within 48 bytes before or 24 after it.
    public let context: [String]
    public let confidence: Double
    private let regex: NSRegularExpression
    private let contextBytes: [[UInt8]]
    /// Bytes that every match contains (see `requiredLiteral(of:)`).
    let requiredLiteral: [UInt8]?

    public init(name: String, type: EntityType, pattern: String, validator: Validator? = nil, context: [String] = [], confidence: Double = 0.9) throws {
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw PrivacyError.invalidPattern(recognizer: name, reason: error.localizedDescription)
        }
        self.name = name
        self.type = type
        self.validator = validator
        self.context = context
        self.confidence = confidence
        contextBytes = context.map { Array($0.lowercased().utf8) }
        requiredLiteral = Self.requiredLiteral(of: pattern)
    }

    /// The plain characters that a pattern begins with, which every match therefore contains; nil when no
    /// such run is certain: an unescaped `|` anywhere (it may be a top-level alternation), or a pattern
    /// that starts with a group, a class, an anchor, flags or a character beyond ASCII. A character made
    /// optional by the quantifier after it (`-?`, `x*`, `x{0,2}`) is not part of the run.
    static func requiredLiteral(of pattern: String) -> [UInt8]? {
        let p = Array(pattern.utf8)
        var escaped = false, inClass = false
        for c in p {
            if escaped { escaped = false; continue }
            switch c {
            case .backslash: escaped = true
            case UInt8(ascii: "["): inClass = true
            case UInt8(ascii: "]"): inClass = false
            case UInt8(ascii: "|") where !inClass: return nil
            default: break
            }
        }
        let metas = Set("[](){}*+?|^$.".utf8)
        var literal: [UInt8] = []
        var i = 0
        while i < p.count, p[i] < 0x80, !metas.contains(p[i]) {
            if p[i] == .backslash {
                // `\.` is a dot, but `\d`, `\b`, `\1`, `\Q` are classes, anchors or references.
                guard i + 1 < p.count, p[i + 1] < 0x80, !isAlnum(p[i + 1]) else { break }
                literal.append(p[i + 1])
                i += 2
            } else {
                literal.append(p[i])
                i += 1
            }
            if i < p.count, p[i] == UInt8(ascii: "*") || p[i] == UInt8(ascii: "?") || p[i] == UInt8(ascii: "{") {
                literal.removeLast()
                break
            }
        }
        return literal.isEmpty ? nil : literal
    }

    /// The check-digit rules a custom recognizer may require of its matches: the digits (Luhn, Verhoeff,
    /// SSN) or letters and digits (IBAN, CN_ID, NINO) of the match, everything else ignored.
    public enum Validator: String, CaseIterable, Sendable {
        case luhn, iban, cnID = "cn_id", verhoeff, ssn, nino

        public func isValid(_ match: [UInt8]) -> Bool {
            let chars = match.filter(isAlnum).map { isLower($0) ? $0 - 32 : $0 }
            let digits = match.filter(isDigit)
            switch self {
            case .luhn: return Checksums.luhn(digits)
            case .iban: return Checksums.ibanMod97(chars)
            case .cnID: return IdentifierRules.isValidCNID(chars)
            case .verhoeff: return Checksums.verhoeff(digits)
            case .ssn:
                guard digits.count == 9 else { return false }
                let v = digits.map(digitValue)
                return IdentifierRules.isValidSSN(area: v[0] * 100 + v[1] * 10 + v[2], group: v[3] * 10 + v[4],
                                                  serial: v[5] * 1000 + v[6] * 100 + v[7] * 10 + v[8])
            case .nino: return chars.count == 9 && IdentifierRules.isValidNINOPrefix(chars[0], chars[1])
            }
        }
    }

    /// Whether `text` holds `literal`: `memchr` to each place its first byte occurs, then a compare.
    static func contains(_ text: UnsafeBufferPointer<UInt8>, _ literal: [UInt8]) -> Bool {
        guard let base = text.baseAddress, literal.count <= text.count else { return false }
        let last = text.count - literal.count
        var i = 0
        return literal.withUnsafeBytes { l in
            while i <= last {
                guard let hit = memchr(base + i, Int32(literal[0]), last - i + 1) else { return false }
                i = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                if memcmp(base + i, l.baseAddress!, l.count) == 0 { return true }
                i += 1
            }
            return false
        }
    }

    func detect(_ text: UnsafeBufferPointer<UInt8>, into found: inout [Detection]) {
        if let literal = requiredLiteral, !Self.contains(text, literal) { return }
        let string = String(decoding: text, as: UTF8.self)
        // Offsets would be wrong if invalid UTF-8 had been repaired on the way in.
        guard string.utf8.count == text.count else { return }
        let utf8 = string.utf8
        for match in regex.matches(in: string, range: NSRange(string.startIndex..., in: string)) {
            guard let range = Range(match.range, in: string), !range.isEmpty else { continue }
            let start = utf8.distance(from: utf8.startIndex, to: range.lowerBound)
            let end = start + utf8.distance(from: range.lowerBound, to: range.upperBound)
            if let validator, !validator.isValid(Array(text[start..<end])) { continue }
            if !contextBytes.isEmpty, !textHasContext(text.baseAddress!, text.count, contextBytes, before: start, after: end) { continue }
            found.append(Detection(start: start, end: end, type: type, confidence: confidence))
        }
    }
}

/// Whether one of `words` (lower-case bytes) occurs within 48 bytes before `start` or 24 after `end`.
func textHasContext(_ p: UnsafePointer<UInt8>, _ n: Int, _ words: [[UInt8]], before start: Int, after end: Int) -> Bool {
    let from = max(0, start - 48), to = min(n, end + 24)
    for word in words where !word.isEmpty {
        var i = from
        let last = to - word.count
        while i <= last {
            if lowercased(p[i]) == word[0] {
                var k = 1
                while k < word.count && lowercased(p[i + k]) == word[k] { k += 1 }
                if k == word.count { return true }
            }
            i += 1
        }
    }
    return false
}
