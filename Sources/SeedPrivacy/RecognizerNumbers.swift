// Numbers: phone numbers, payment cards, US SSNs, Chinese resident IDs, Aadhaar numbers and IPv4 addresses
// all start with a digit (or `+`, `(`). The scanner reads the whole "number chunk" once, digit groups joined
// by single separators (space, `-`, `.`, `/`, parentheses), then tries the groups from the first one against
// the formats, longest first, so that two numbers in a row separated by a space are both found. A number
// never starts in the middle of a chunk, and `-`, `.` and `/` bind groups into one token: `12.05.2023`,
// `2023-555-123-4567` or the tail of `4350 0361 8554 7205` never yield an entity.

private let ssnContext: [[UInt8]] = ["ssn", "social security", "sozialversicherung", "sécurité sociale"].map { Array($0.utf8) }
private let aadhaarContext: [[UInt8]] = ["aadhaar", "aadhar", "uidai", "uid", "आधार"].map { Array($0.utf8) }
private let phoneContext: [[UInt8]] = [
    "phone", "tel", "call", "mobile", "cell", "whatsapp", "contact", "sms", "fax", "telefon", "handy", "mobil",
    "rufnummer", "anruf", "téléphone", "portable", "joindre", "appel", "电话", "手机", "联系", "致电",
].map { Array($0.utf8) }
private let cnIDContext: [[UInt8]] = ["身份证", "身份号", "证件号", "id card", "identity card", "resident id"].map { Array($0.utf8) }
private let cardContext: [[UInt8]] = ["card", "karte", "carte", "visa", "mastercard", "卡"].map { Array($0.utf8) }

/// Group sizes packed five bits each behind a leading 1, so that a chunk's layout is one integer compare.
/// Written as constant expressions: a global computed at first use is checked (`swift_once`) at every use,
/// and these are compared for every number with six digits or more.
private enum Shape {
    static let s324: UInt64 = 1 << 15 | 3 << 10 | 2 << 5 | 4
    static let s683: UInt64 = 1 << 15 | 6 << 10 | 8 << 5 | 3
    static let s684: UInt64 = 1 << 15 | 6 << 10 | 8 << 5 | 4
    static let s344: UInt64 = 1 << 15 | 3 << 10 | 4 << 5 | 4
    static let s211: UInt64 = 1 << 10 | 2 << 5 | 11
    static let s2344: UInt64 = 1 << 20 | 2 << 15 | 3 << 10 | 4 << 5 | 4
    static let s444: UInt64 = 1 << 15 | 4 << 10 | 4 << 5 | 4
    static let s334: UInt64 = 1 << 15 | 3 << 10 | 3 << 5 | 4
    static let s1334: UInt64 = 1 << 20 | 1 << 15 | 3 << 10 | 3 << 5 | 4
    static let s55: UInt64 = 1 << 10 | 5 << 5 | 5
    static let s255: UInt64 = 1 << 15 | 2 << 10 | 5 << 5 | 5
    static let s663: UInt64 = 1 << 15 | 6 << 10 | 6 << 5 | 3
}

extension TextScanner {
    /// Scans the number chunk starting at `s` (a digit, `+` or `(`) and returns where the scan resumes.
    mutating func scanNumeric(_ s: Int) -> Int {
        if isDigit(p[s]) {
            let h = endOfRun(from: s, isHexDigit)
            let next = at(h)
            if (next == .colon && h - s <= 4) || (next == .dash && h - s == 2) || (next == .dot && h - s == 4),
               let end = scanIPv6OrMAC(s) {
                return end
            }
        }
        let plus = p[s] == .plus
        let (end, trailingX) = readGroups(from: plus ? s + 1 : s)
        let count = scratch.groupCount
        guard count > 0 else { return endOfRun(from: s + 1, isAlnum) }
        let after = at(end)
        let dirtyEnd = !trailingX && (isAlnum(after) || ((after == .comma || after == .colon || after == .dot) && isDigit(at(end + 1))))

        var a = 0
        while a < count {
            var b = min(count, a + 7)
            var matched = false
            while b > a {
                let endsClean = b == count ? !dirtyEnd : scratch.groups[b].separator == .space
                if endsClean, let (type, confidence) = classify(a, b, plus: plus && a == 0, trailingX: trailingX && b == count) {
                    let start = a == 0 && plus ? s : scratch.groups[a].outerStart
                    let stop = scratch.groups[b - 1].outerEnd + (trailingX && b == count ? 1 : 0)
                    emit(start, stop, type, confidence)
                    matched = true
                    break
                }
                b -= 1
            }
            // A new number may only begin right after a match and a space: starting in the middle of a
            // space-grouped number (`4350 0361 8554 7205`) would find a phone or a short card in an invoice number.
            guard matched, b < count, scratch.groups[b].separator == .space else { break }
            a = b
        }
        return dirtyEnd ? endOfRun(from: end, isAlnum) : end + (trailingX ? 1 : 0)
    }

    /// Reads digit groups from `k`; returns the end of the last group and whether an ID check character
    /// `X` follows 17 digits.
    private mutating func readGroups(from start: Int) -> (Int, Bool) {
        // Written through a pointer into storage moved out of the scratch: one uniqueness check per chunk.
        var storage: [DigitGroup] = []
        swap(&storage, &scratch.groups)
        defer { swap(&storage, &scratch.groups) }
        if storage.isEmpty {
            storage = Array(repeating: DigitGroup(start: 0, end: 0, outerStart: 0, outerEnd: 0, separator: 0, parenthesized: false),
                            count: DigitGroup.maximumCount)
        }
        var count = 0
        var end = start
        var digits = 0
        storage.withUnsafeMutableBufferPointer { groups in
            var k = start
            var separator: UInt8 = 0
            while count < groups.count {
                var g = k
                let paren = at(g) == .openParen
                if paren { g += 1 }
                guard isDigit(at(g)) else { break }
                let e = endOfRun(from: g, isDigit)
                var outerEnd = e
                if paren {
                    guard at(e) == .closeParen else { break }
                    outerEnd = e + 1
                }
                groups[count] = DigitGroup(start: g, end: e, outerStart: paren ? g - 1 : g, outerEnd: outerEnd, separator: separator, parenthesized: paren)
                count += 1
                digits += e - g
                end = outerEnd
                let c = at(outerEnd)
                if c == .space || c == .dash || c == .dot || c == .slash {
                    let d = at(outerEnd + 1)
                    guard isDigit(d) || d == .openParen else { break }
                    separator = c
                    k = outerEnd + 1
                } else if c == .openParen || (paren && isDigit(c)) {
                    separator = 0
                    k = outerEnd
                } else {
                    break
                }
            }
        }
        scratch.groupCount = count
        let x = at(end)
        let trailingX = digits == 17 && (x == UInt8(ascii: "X") || x == UInt8(ascii: "x")) && !isAlnum(at(end + 1))
            && !(count > 0 && storage[count - 1].parenthesized)
        return (end, trailingX)
    }

    /// The entity that groups `a..<b` form, if any, with its confidence. Runs for every number in the text,
    /// so it allocates nothing: group sizes are compared as one packed `shape`.
    private mutating func classify(_ a: Int, _ b: Int, plus: Bool, trailingX: Bool) -> (EntityType, Double)? {
        let g = b - a
        var anyParen = false
        var shape: UInt64 = 1
        var digitCount = 0
        for k in a..<b {
            if scratch.groups[k].parenthesized { anyParen = true }
            digitCount += scratch.groups[k].size
            shape = shape << 5 | UInt64(min(scratch.groups[k].size, 31))
        }
        if !plus, !anyParen, let ip = ipv4(a, b) { return ip }
        let count = digitCount + (trailingX ? 1 : 0)
        // Most numbers in text (years, prices, versions, each shorter prefix that scanNumeric tries) stop
        // here, before their digits are copied.
        guard count >= 6, count <= 20, g <= 12 else { return nil }
        scratch.digits.removeAll(keepingCapacity: true)
        // A group's digits are consecutive bytes: one append per group (one uniqueness check, not one per digit).
        for k in a..<b {
            scratch.digits.append(contentsOf: UnsafeBufferPointer(start: p + scratch.groups[k].start, count: scratch.groups[k].size))
        }
        let d = scratch.digits
        @inline(__always) func size(_ k: Int) -> Int { scratch.groups[a + k].size }
        // Whether the separators between groups `first...` are all the same one of the allowed ones.
        func consistent(_ x: UInt8, _ y: UInt8 = 255, _ z: UInt8 = 255, from first: Int = 1) -> Bool {
            guard g > first else { return true }
            let s = scratch.groups[a + first].separator
            guard s == x || s == y || s == z else { return false }
            return (a + first..<b).allSatisfy { scratch.groups[$0].separator == s }
        }
        let start = scratch.groups[a].outerStart, end = scratch.groups[b - 1].outerEnd

        if trailingX {
            if g == 1 || (shape == Shape.s683 && consistent(.space, .dash)), IdentifierRules.isValidCNID(d + [UInt8(ascii: "X")]) {
                return (.cnID, 1.0)
            }
            return nil
        }
        if plus {
            // E.164: a country code that never starts with 0, 8 to 15 digits; a "(0)" trunk prefix is not dialled.
            var dialled = d.count
            for k in a..<b where scratch.groups[k].parenthesized && scratch.groups[k].size == 1 && p[scratch.groups[k].start] == 48 { dialled -= 1 }
            guard d[0] != 48, (8...15).contains(dialled) else { return nil }
            return (.phone, 0.95)
        }
        if d.count == 18, g == 1 || (shape == Shape.s684 && consistent(.space, .dash)), IdentifierRules.isValidCNID(d) {
            return (.cnID, 1.0)
        }
        if shape == Shape.s324, consistent(.dash, .space), !anyParen {
            if IdentifierRules.isValidSSN(area: number(d, 0, 3), group: number(d, 3, 5), serial: number(d, 5, 9)) { return (.usSSN, 0.9) }
        }
        if g == 1, d.count == 9, IdentifierRules.isValidSSN(area: number(d, 0, 3), group: number(d, 3, 5), serial: number(d, 5, 9)),
           hasContext(ssnContext, before: start, after: end) {
            return (.usSSN, 0.85)
        }
        // International prefix 00 instead of +.
        if d[0] == 48, d[1] == 48, d[2] != 48, (11...15).contains(d.count), !anyParen, consistent(.space, .dash, .dot) {
            return (.phone, 0.85)
        }
        // Chinese mobile numbers, with or without the country code 86.
        if d.count == 11, d[0] == 49, d[1] >= 51, !anyParen, g == 1 || (shape == Shape.s344 && consistent(.space, .dash)) {
            return (.phone, 0.9)
        }
        if d.count == 13, d[0] == 56, d[1] == 54, d[2] == 49, d[3] >= 51, !anyParen,
           g == 1 || shape == Shape.s211 || (shape == Shape.s2344 && consistent(.space, .dash, from: 2)) {
            return (.phone, 0.9)
        }
        if d.count == 12, !anyParen, g == 1 || (shape == Shape.s444 && consistent(.space, .dash)), d[0] >= 50,
           Checksums.verhoeff(d), hasContext(aadhaarContext, before: start, after: end),
           !(Checksums.luhn(d) && hasContext(cardContext, before: start, after: end)) {
            return (.inAadhaar, 0.95)
        }
        // Legacy IDs come before cards: regions 34 and 37 look like Amex prefixes.
        if d.count == 15, !anyParen, g == 1 || (shape == Shape.s663 && consistent(.space, .dash)), IdentifierRules.isValidLegacyCNID(d),
           hasContext(cnIDContext, before: start, after: end) {
            return (.cnID, 0.9)
        }
        // A grouped card ends its chunk: the first groups of a longer grouped number (an invoice) are no card.
        if !anyParen, g == 1 || b == scratch.groupCount, IdentifierRules.isPlausibleCardNumber(d), Checksums.luhn(d), isCardGrouping(a, b) {
            return (.creditCard, 0.95)
        }
        // North American numbers: area code and exchange never start with 0 or 1.
        if shape == Shape.s334 || (shape == Shape.s1334 && d[0] == 49) {
            let o = g == 4 ? 1 : 0
            let nanp = d[o] >= 50 && d[o + 3] >= 50
            let firstSeparatorOK = scratch.groups[a + o].parenthesized || isSpaceDashDot(scratch.groups[a + o + 1].separator)
            if nanp, firstSeparatorOK, isSpaceDashDot(scratch.groups[b - 1].separator), !scratch.groups[(a + 1)..<b].contains(where: { $0.separator == .slash }) {
                return (.phone, 0.85)
            }
        }
        // Indian mobile numbers: 10 digits from 6, printed 5-5, optionally after 91.
        if (shape == Shape.s55 && d[0] >= 54) || (shape == Shape.s255 && d[0] == 57 && d[1] == 49 && d[2] >= 54) {
            if consistent(.space, .dash) { return (.phone, 0.85) }
        }
        // National numbers with the trunk prefix 0 (UK, Germany, France, Chinese landlines, India).
        if d[0] == 48, d[1] != 48, (10...12).contains(d.count), g <= 5, (0..<g).allSatisfy({ size($0) >= 2 }),
           g == 1 || (2...6).contains(size(0)), g >= 4 || size(g - 1) >= 3,
           !scratch.groups[(a + 1)..<b].contains(where: { $0.separator == .dot }) || consistent(.dot),
           consistent(.space, .dash, .dot, from: min(2, g)), !(g >= 3 && size(0) == 2 && size(1) == 2 && size(2) == 4) {
            return (.phone, 0.85)
        }
        // Bare 10- or 11-digit numbers are phone numbers only where the text says so.
        if g == 1, (d.count == 10 && (d[0] >= 54 || (d[0] >= 50 && d[3] >= 50))) || (d.count == 11 && d[0] == 49 && d[1] >= 50),
           hasContext(phoneContext, before: start, after: end) {
            return (.phone, 0.8)
        }
        return nil
    }

    @inline(__always) private func isSpaceDashDot(_ b: UInt8) -> Bool { b == .space || b == .dash || b == .dot }

    private func number(_ d: [UInt8], _ from: Int, _ to: Int) -> Int { (from..<to).reduce(0) { $0 * 10 + digitValue(d[$1]) } }

    /// Card numbers are printed whole or in groups of four (the last shorter), or 4-6-5 / 4-6-4 (Amex, Diners).
    private func isCardGrouping(_ a: Int, _ b: Int) -> Bool {
        let g = b - a
        if g == 1 { return true }
        let sep = scratch.groups[a + 1].separator
        guard sep == .space || sep == .dash, (a + 1..<b).allSatisfy({ scratch.groups[$0].separator == sep }) else { return false }
        @inline(__always) func size(_ k: Int) -> Int { scratch.groups[a + k].size }
        if g == 3, size(0) == 4, size(1) == 6, size(2) == 5 || size(2) == 4 { return true }
        return g >= 3 && (0..<(g - 1)).allSatisfy { size($0) == 4 } && (1...4).contains(size(g - 1))
    }

    /// Four dotted decimal octets without leading zeros, optionally with a `/prefix`.
    private func ipv4(_ a: Int, _ b: Int) -> (EntityType, Double)? {
        let g = b - a
        guard g == 4 || (g == 5 && scratch.groups[a + 4].separator == .slash) else { return nil }
        for k in a..<(a + 4) {
            if k > a && scratch.groups[k].separator != .dot { return nil }
            let len = scratch.groups[k].size
            guard len <= 3, len == 1 || p[scratch.groups[k].start] != 48 else { return nil }
            var v = 0
            for i in scratch.groups[k].start..<scratch.groups[k].end { v = v * 10 + digitValue(p[i]) }
            guard v <= 255 else { return nil }
        }
        if g == 5 {
            let len = scratch.groups[a + 4].size
            guard len <= 2 else { return nil }
            var v = 0
            for i in scratch.groups[a + 4].start..<scratch.groups[a + 4].end { v = v * 10 + digitValue(p[i]) }
            guard v <= 32 else { return nil }
        }
        return (.ipv4, 0.95)
    }
}
