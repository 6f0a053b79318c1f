/// A token matched in the text as a whole before any splitting (`added_tokens` in tokenizer.json).
public struct SpecialToken: Hashable, Sendable {
    public var content: String
    public var id: Int32
    /// Hugging Face separates control tokens (`special`) from words merely added to the vocabulary;
    /// both are matched in text, only special ones are dropped by `decode(skipSpecialTokens:)`.
    public var isSpecial: Bool

    public init(content: String, id: Int32, isSpecial: Bool = true) {
        self.content = content
        self.id = id
        self.isSpecial = isSpecial
    }
}

/// Which special tokens `encode` recognises in text. Recognising them in text that users or the web wrote
/// lets that text inject control tokens, so the default is none: their characters are encoded as text.
public enum SpecialTokenPolicy: Sendable, Equatable {
    case none
    case all
    case only(Set<String>)

    func allows(_ token: SpecialToken) -> Bool {
        switch self {
        case .none: return false
        case .all: return true
        case .only(let names): return names.contains(token.content)
        }
    }
}

/// Finds allowed special tokens in UTF-8 text, longest first where two start at the same place.
struct SpecialTokenMatcher: Sendable {
    private let tokens: [(bytes: [UInt8], id: Int32)]
    private let startsToken: [Bool]

    init(_ specials: [SpecialToken], policy: SpecialTokenPolicy) {
        let allowed = specials.filter { policy.allows($0) && !$0.content.isEmpty }
        tokens = allowed.map { (Array($0.content.utf8), $0.id) }.sorted { $0.bytes.count > $1.bytes.count }
        var starts = [Bool](repeating: false, count: 256)
        for token in tokens { starts[Int(token.bytes[0])] = true }
        startsToken = starts
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The next special token at or after `from`: its byte range and id.
    func next(in text: UnsafeBufferPointer<UInt8>, from: Int) -> (range: Range<Int>, id: Int32)? {
        guard !tokens.isEmpty else { return nil }
        var i = from
        while i < text.count {
            if startsToken[Int(text[i])] {
                for token in tokens where token.bytes.count <= text.count - i
                    && memcmpEqual(text.baseAddress! + i, token.bytes, token.bytes.count) {
                    return (i..<i + token.bytes.count, token.id)
                }
            }
            i += 1
        }
        return nil
    }
}
