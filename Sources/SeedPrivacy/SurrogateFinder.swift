/// Finds `<TYPE_N>` surrogates in a model's answer, tolerating what models do to them: other case
/// (`<email_17>`), `-` or a space for `_` inside brackets (`[EMAIL-17]`, `<credit card 3>`), a lost `<` or
/// `>`, other brackets (`«EMAIL_17»`, `＜EMAIL_17＞`, `&lt;EMAIL_17&gt;`, `[EMAIL_17]`, `{{EMAIL_17}}`). Angle
/// brackets are taken with the surrogate whenever present; square and curly ones only in matching pairs;
/// parentheses never. Without any bracket only the exact shape `TYPE_N` counts.
struct SurrogateFinder {
    struct Match {
        var start: Int
        var end: Int
        var type: EntityType
        var number: Int
    }

    /// Upper-case names with `_`, per first letter, longest first.
    private let names: [[UInt8]]
    private let types: [EntityType]

    init(types: [EntityType]) {
        let sorted = types.sorted { $0.name.utf8.count > $1.name.utf8.count }
        self.types = sorted
        names = sorted.map { Array($0.name.utf8) }
    }

    func find(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        var matches: [Match] = []
        let n = text.count
        @inline(__always) func at(_ i: Int) -> UInt8 { i >= 0 && i < n ? text[i] : 0 }
        var i = 0
        while i < n {
            let b = text[i]
            guard isLetter(b), !isAlnum(at(i - 1)) else { i += 1; continue }
            guard let (typeIndex, afterName, strictSeparators) = matchName(text, i) else {
                while i < n && isAlnum(text[i]) { i += 1 }
                continue
            }
            // The number, after `_`, `-` or a space (or nothing).
            var k = afterName
            var strict = strictSeparators
            let sep = at(k)
            if sep == .underscore || sep == .dash || sep == .space {
                if sep != .underscore { strict = false }
                k += 1
            } else {
                strict = false
            }
            let numberStart = k
            while isDigit(at(k)) { k += 1 }
            guard k > numberStart, k - numberStart <= 9, !isAlnum(at(k)) else { i = max(k, i + 1); continue }
            let number = (numberStart..<k).reduce(0) { $0 * 10 + digitValue(text[$1]) }
            var start = i, end = k
            let left = openingBracket(text, before: i)
            let right = closingBracket(text, after: k)
            var bracketed = false
            if left.angle { start -= left.length; bracketed = true }
            if right.angle { end += right.length; bracketed = true }
            if !left.angle, !right.angle, left.length > 0, right.length > 0, left.pair == right.pair {
                start -= left.length
                end += right.length
                bracketed = true
            }
            guard bracketed || strict else { i = k; continue }
            matches.append(Match(start: start, end: end, type: types[typeIndex], number: number))
            i = end
        }
        return matches
    }

    /// A type name at `i`, case-insensitively, with `_`, `-` or a space between its words. Returns the type,
    /// where the name ends, and whether every separator was `_`.
    private func matchName(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int, Int, Bool)? {
        let first = isLower(text[i]) ? text[i] - 32 : text[i]
        candidates: for (t, name) in names.enumerated() where name[0] == first {
            var k = i
            var strict = true
            for c in name {
                guard k < text.count else { continue candidates }
                let b = isLower(text[k]) ? text[k] - 32 : text[k]
                if c == .underscore {
                    guard b == .underscore || b == .dash || b == .space else { continue candidates }
                    if b != .underscore { strict = false }
                } else if b != c {
                    continue candidates
                }
                k += 1
            }
            return (t, k, strict)
        }
        return nil
    }

    private struct Bracket {
        var length = 0
        var angle = false
        /// Which pair a square or curly bracket belongs to.
        var pair: UInt8 = 0
    }

    private func openingBracket(_ text: UnsafeBufferPointer<UInt8>, before i: Int) -> Bracket {
        func ends(with bytes: [UInt8]) -> Bool {
            i >= bytes.count && (0..<bytes.count).allSatisfy { text[i - bytes.count + $0] == bytes[$0] }
        }
        for (bytes, angle, pair) in Self.openings where ends(with: bytes) {
            return Bracket(length: bytes.count, angle: angle, pair: pair)
        }
        return Bracket()
    }

    private func closingBracket(_ text: UnsafeBufferPointer<UInt8>, after k: Int) -> Bracket {
        func starts(with bytes: [UInt8]) -> Bool {
            k + bytes.count <= text.count && (0..<bytes.count).allSatisfy { text[k + $0] == bytes[$0] }
        }
        for (bytes, angle, pair) in Self.closings where starts(with: bytes) {
            return Bracket(length: bytes.count, angle: angle, pair: pair)
        }
        return Bracket()
    }

    // Longest first: `<<` before `<`, `{{` before `{`.
    private static let openings: [([UInt8], Bool, UInt8)] = [
        (Array("&lt;".utf8), true, 0), (Array("<<".utf8), true, 0), (Array("<".utf8), true, 0), (Array("＜".utf8), true, 0),
        (Array("«".utf8), true, 0), (Array("‹".utf8), true, 0), (Array("〈".utf8), true, 0),
        (Array("[[".utf8), false, 1), (Array("[".utf8), false, 2), (Array("{{".utf8), false, 3), (Array("{".utf8), false, 4),
        (Array("【".utf8), false, 5),
    ]
    private static let closings: [([UInt8], Bool, UInt8)] = [
        (Array("&gt;".utf8), true, 0), (Array(">>".utf8), true, 0), (Array(">".utf8), true, 0), (Array("＞".utf8), true, 0),
        (Array("»".utf8), true, 0), (Array("›".utf8), true, 0), (Array("〉".utf8), true, 0),
        (Array("]]".utf8), false, 1), (Array("]".utf8), false, 2), (Array("}}".utf8), false, 3), (Array("}".utf8), false, 4),
        (Array("】".utf8), false, 5),
    ]
}
