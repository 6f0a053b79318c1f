import Crypto
import Foundation

/// What happens to a detected value.
public enum Operator: Sendable, Equatable, CustomStringConvertible {
    /// A consistent surrogate from the vault: `<EMAIL_17>`, or a realistic fake with `--realistic`.
    case pseudonymize
    /// The type in brackets: `[EMAIL]`.
    case redact
    /// Letters and digits replaced by `*` except the first `head` and last `tail` (`138****5678`);
    /// separators stay, and an e-mail keeps its domain. nil means the type's usual choice.
    case mask(head: Int?, tail: Int?)
    /// The first `hexDigits` hex digits of HMAC-SHA256 under the vault key: equal values hash equal, and
    /// without the key nobody can test guesses (a phone number has only ~10^10 values).
    case hash(hexDigits: Int)
    /// Left as it is (still counted in the report).
    case keep

    /// Parses `pseudonymize`, `redact`, `mask`, `mask:3:4`, `hash`, `hash:32`, `keep`.
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ k: Int, _ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard parts.count > k else { return nil }
            guard let v = Int(parts[k]), range.contains(v) else {
                throw PrivacyError.invalidOperator(text, reason: "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        switch parts[0] {
        case "pseudonymize", "pseudonymise", "surrogate":
            self = .pseudonymize
        case "redact", "replace":
            self = .redact
        case "mask":
            guard parts.count <= 3 else { throw PrivacyError.invalidOperator(text, reason: "mask takes at most HEAD:TAIL") }
            self = .mask(head: try number(1, "the kept head", 0...64), tail: try number(2, "the kept tail", 0...64))
        case "hash":
            self = .hash(hexDigits: try number(1, "the hex digit count", 8...64) ?? 16)
        case "keep":
            self = .keep
        default:
            throw PrivacyError.invalidOperator(text, reason: "unknown operator")
        }
    }

    public var description: String {
        switch self {
        case .pseudonymize: return "pseudonymize"
        case .redact: return "redact"
        case let .mask(head, tail): return "mask:\(head.map(String.init) ?? "default"):\(tail.map(String.init) ?? "default")"
        case let .hash(digits): return "hash:\(digits)"
        case .keep: return "keep"
        }
    }

    var needsKey: Bool {
        switch self {
        case .pseudonymize, .hash: return true
        default: return false
        }
    }

    /// The conventional head and tail per type (hutool's Chinese display-masking rules where they exist).
    static func defaultMask(for type: EntityType) -> (head: Int, tail: Int) {
        switch type {
        case .phone: return (3, 4)
        case .cnID: return (6, 4)
        case .email, .person: return (1, 0)
        case .secret, .urlCredential: return (4, 0)
        case .ipv4, .ipv6, .mac: return (2, 0)
        default: return (0, 4)
        }
    }

    /// The replacement of `original` for the operators that need no vault (everything but pseudonymize).
    func apply(to original: [UInt8], type: EntityType, key: VaultKey?) -> [UInt8] {
        switch self {
        case .keep, .pseudonymize:
            return original
        case .redact:
            return Array("[\(type.name)]".utf8)
        case let .hash(digits):
            guard let key else { return Array("[\(type.name)]".utf8) }
            let hex = Array("0123456789abcdef".utf8)
            let digest = original.withUnsafeBufferPointer { key.digest(type: type, value: $0) }
            return (0..<digits).map { k in hex[Int(digest[k / 2] >> (k % 2 == 0 ? 4 : 0) & 15)] }
        case let .mask(head, tail):
            let defaults = Self.defaultMask(for: type)
            return Self.mask(original, head: head ?? defaults.head, tail: tail ?? defaults.tail, type: type)
        }
    }

    /// Masks letters, digits and non-ASCII characters (counted as whole characters) outside head and tail.
    /// Two passes over the bytes, the first counting the maskable characters: a list of the characters had
    /// cost more than detection did, with a mask for every entity.
    static func mask(_ original: [UInt8], head: Int, tail: Int, type: EntityType) -> [UInt8] {
        var end = original.count
        if type == .email, let at = original.lastIndex(of: .at) { end = at }
        func character(at i: Int) -> (length: Int, maskable: Bool) {
            let b = original[i]
            let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            return (min(length, end - i), b >= 0x80 || isAlnum(b))
        }
        var maskable = 0
        var i = 0
        while i < end {
            let c = character(at: i)
            if c.maskable { maskable += 1 }
            i += c.length
        }
        var out: [UInt8] = []
        out.reserveCapacity(original.count)
        var seen = 0
        i = 0
        while i < end {
            let c = character(at: i)
            if c.maskable && seen >= head && seen < maskable - tail {
                out.append(UInt8(ascii: "*"))
            } else {
                out.append(contentsOf: original[i..<(i + c.length)])
            }
            if c.maskable { seen += 1 }
            i += c.length
        }
        out.append(contentsOf: original[end...])
        return out
    }
}
