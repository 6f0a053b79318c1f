import Foundation

/// A recognizer from a policy file: a regular expression, an optional validator and context words. It runs
/// NSRegularExpression over the text, so it costs far more than the built-in scanner: keep patterns few
/// and anchored on something specific.
public struct CustomRecognizer: @unchecked Sendable {
    public let name: String
    public let type: EntityType
    public let validator: Validator?
    /// When not empty, a match counts only with one of these words within 48 bytes before or 24 after it.
    public let context: [String]
    public let confidence: Double
    private let regex: NSRegularExpression
    private let contextBytes: [[UInt8]]

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

    func detect(_ text: UnsafeBufferPointer<UInt8>, into found: inout [Detection]) {
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
