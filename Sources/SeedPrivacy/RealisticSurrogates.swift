// Format-preserving fakes for `--realistic`: the same layout as the original (separators, grouping, length)
// and valid by the same rules the recognizers check (Luhn, mod 97, GB 11643, Verhoeff, SSN areas, NINO
// prefixes), so that downstream code and models see plausible data. Each is drawn from a generator seeded
// by the vault's surrogate key and the original, and stored in the vault, which maps it back.

enum RealisticSurrogates {
    static func make(type: EntityType, like original: [UInt8], seed: UInt64) -> [UInt8] {
        var rng = SplitMix(seed: seed)
        switch type {
        case .email: return email(&rng)
        case .phone: return phone(original, &rng)
        case .creditCard: return card(original, &rng)
        case .iban: return iban(original, &rng)
        case .usSSN: return ssn(original, &rng)
        case .cnID: return cnID(original, &rng)
        case .ukNINO: return nino(original, &rng)
        case .inAadhaar: return aadhaar(original, &rng)
        case .ipv4: return ipv4(original, &rng)
        case .ipv6: return ipv6(original, &rng)
        case .mac: return mac(original, &rng)
        case .urlCredential: return Array("user\(Int.random(in: 1000...9999, using: &rng)):".utf8) + scramble(Array("Pa55wordExample".utf8), keep: 0, &rng)
        case .person: return person(original, &rng)
        default: return scramble(original, keep: keptPrefix(original), &rng)
        }
    }

    private static func email(_ rng: inout SplitMix) -> [UInt8] {
        let first = rng.pick(SurrogateNames.latinFirst).lowercased(), last = SurrogateNames.latinLast(&rng).lowercased()
        let domain = rng.pick(["example.com", "example.org", "example.net", "mail.example.com"])
        return Array("\(first).\(last)\(Int.random(in: 1...999, using: &rng))@\(domain)".utf8)
    }

    /// Digits re-drawn in place; the country code after `+`/`00` and the first digit stay, and every digit is
    /// drawn at least as high as min(original, 3), which keeps trunk prefixes, NANP area codes and Chinese
    /// mobile prefixes valid.
    private static func phone(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var out = original
        var seen = 0
        var keepUntil = 1
        if original.first == .plus || original.starts(with: Array("00".utf8)) {
            // Keep the country code: the first group after the prefix.
            let digitsBeforeBreak = original.drop(while: { !isDigit($0) }).prefix(while: isDigit).count
            keepUntil = original.first == .plus ? max(1, min(digitsBeforeBreak, 3)) : max(3, min(digitsBeforeBreak, 5))
        }
        for i in out.indices where isDigit(out[i]) {
            if seen >= keepUntil { out[i] = rng.digit(min(digitValue(original[i]), 3)...9) }
            seen += 1
        }
        return out
    }

    private static func card(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        let positions = original.indices.filter { isDigit(original[$0]) }
        var digits = positions.map { original[$0] }
        for k in 1..<(digits.count - 1) { digits[k] = rng.digit() }
        digits[digits.count - 1] = Checksums.luhnCheckDigit(Array(digits.dropLast()))
        var out = original
        for (k, i) in positions.enumerated() { out[i] = digits[k] }
        return out
    }

    private static func iban(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        let positions = original.indices.filter { isAlnum(original[$0]) }
        var chars = positions.map { original[$0] }
        for k in 4..<chars.count { chars[k] = isDigit(chars[k]) ? rng.digit() : rng.upper() }
        let check = Checksums.ibanCheckDigits(country: Array(chars[0..<2]), bban: Array(chars[4...]))
        chars[2] = check[0]
        chars[3] = check[1]
        var out = original
        for (k, i) in positions.enumerated() { out[i] = chars[k] }
        return out
    }

    private static func fill(_ original: [UInt8], with digits: [UInt8]) -> [UInt8] {
        var out = original
        var k = 0
        for i in out.indices where isAlnum(out[i]) && k < digits.count {
            out[i] = digits[k]
            k += 1
        }
        return out
    }

    private static func ssn(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var area = 0, group = 0, serial = 0
        repeat {
            area = Int.random(in: 1...899, using: &rng)
            group = Int.random(in: 1...99, using: &rng)
            serial = Int.random(in: 1...9999, using: &rng)
        } while !IdentifierRules.isValidSSN(area: area, group: group, serial: serial)
        let digits = decimal(area, 3) + decimal(group, 2) + decimal(serial, 4)
        return fill(original, with: digits)
    }

    /// `value` in `width` decimal digits, zero-padded (`String(format:)` was a tenth of a realistic run).
    private static func decimal(_ value: Int, _ width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: 48, count: width)
        var rest = value
        for k in stride(from: width - 1, through: 0, by: -1) {
            digits[k] = UInt8(48 + rest % 10)
            rest /= 10
        }
        return digits
    }

    static let cnProvinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65]

    private static func cnID(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        let year = Int.random(in: 1950...2005, using: &rng), month = Int.random(in: 1...12, using: &rng), day = Int.random(in: 1...28, using: &rng)
        var digits = decimal(rng.pick(cnProvinces), 2) + decimal(Int.random(in: 1...20, using: &rng), 2) + decimal(Int.random(in: 1...30, using: &rng), 2)
        digits += decimal(year, 4) + decimal(month, 2) + decimal(day, 2) + decimal(Int.random(in: 1...999, using: &rng), 3)
        digits.append(Checksums.gb11643CheckCharacter(digits))
        return fill(original, with: digits)
    }

    private static func nino(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var a: UInt8 = 0, b: UInt8 = 0
        repeat { a = rng.upper(); b = rng.upper() } while !IdentifierRules.isValidNINOPrefix(a, b)
        let chars = [a, b] + (0..<6).map { _ in rng.digit() } + [UInt8(65 + Int.random(in: 0..<4, using: &rng))]
        return fill(original, with: chars)
    }

    private static func aadhaar(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var digits = [rng.digit(2...9)] + (0..<10).map { _ in rng.digit() }
        digits.append(Checksums.verhoeffCheckDigit(digits))
        return fill(original, with: digits)
    }

    /// Private range 10.0.0.0/8; a `/prefix` is kept.
    private static func ipv4(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        let suffix = original.firstIndex(of: .slash).map { Array(original[$0...]) } ?? []
        let text = "10.\(Int.random(in: 0...255, using: &rng)).\(Int.random(in: 0...255, using: &rng)).\(Int.random(in: 1...254, using: &rng))"
        return Array(text.utf8) + suffix
    }

    /// Documentation prefix 2001:db8::/32.
    private static func ipv6(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        let suffix = original.firstIndex(of: .slash).map { Array(original[$0...]) } ?? []
        let groups = (0..<4).map { _ in String(Int.random(in: 1...0xFFFF, using: &rng), radix: 16) }
        return Array("2001:db8:\(groups[0]):\(groups[1])::\(groups[2]):\(groups[3])".utf8) + suffix
    }

    /// A locally administered unicast address (second hex digit 2), in the original's notation.
    private static func mac(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        let upper = original.contains(where: isUpper)
        var digits = [UInt8(ascii: "0"), UInt8(ascii: "2")] + (0..<10).map { _ in rng.pick(hex) }
        if upper { digits = digits.map { isLower($0) ? $0 - 32 : $0 } }
        return fill(original, with: digits)
    }

    /// Always given name, initial and surname from invented-sounding lists (and rare characters for Chinese
    /// names): restore matches realistic surrogates by exact text, so they must not be names that the
    /// answer could contain for another reason. The lists make 1.7 million Latin names and about 100,000
    /// Chinese ones, so that a vault of many distinct names still finds free ones in a few draws.
    private static func person(_ original: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        if original.contains(where: { $0 >= 0xE4 && $0 <= 0xE9 }) {
            // One name in eight with a two-character surname (欧阳, 司马, ...), as such names are rare.
            let surname = rng.next() % 8 == 0 ? rng.pick(SurrogateNames.chineseCompoundSurnames) : rng.pick(SurrogateNames.chineseSurnames)
            return Array((surname + rng.pick(SurrogateNames.chineseGiven) + rng.pick(SurrogateNames.chineseGiven)).utf8)
        }
        let initial = Character(UnicodeScalar(rng.upper()))
        return Array("\(rng.pick(SurrogateNames.latinFirst)) \(initial). \(SurrogateNames.latinLast(&rng))".utf8)
    }

    /// How much of a secret's start is its provider prefix, kept so the fake still reads as that kind of key:
    /// up to the last `-` or `_` within the first 16 bytes (`sk-proj-`, `ghp_`, `xoxb-`), or 4 for AWS ids.
    static func keptPrefix(_ s: [UInt8]) -> Int {
        if s.starts(with: Array("-----BEGIN".utf8)) || s.starts(with: Array("eyJ".utf8)) { return 3 }
        if s.count == 20, s.starts(with: Array("A".utf8)) { return 4 }
        var keep = 0
        for i in 0..<min(16, s.count) where s[i] == .dash || s[i] == .underscore { keep = i + 1 }
        return keep
    }

    /// Each letter or digit after `keep` replaced by a random one of the same class; everything else (dots
    /// of a JWT, lines of a PEM block, the OpenAI marker `T3BlbkFJ`, `eyJ` at the start of JWT parts) kept.
    static func scramble(_ s: [UInt8], keep: Int, _ rng: inout SplitMix) -> [UInt8] {
        var out = s
        var protected = [Bool](repeating: false, count: s.count)
        for i in 0..<min(keep, s.count) { protected[i] = true }
        let marker = Array("T3BlbkFJ".utf8)
        var i = 0
        while i < s.count {
            if s[i...].starts(with: marker) {
                for k in i..<(i + marker.count) { protected[k] = true }
            }
            if s[i] == .dash && s[i...].starts(with: Array("-----".utf8)) {
                // PEM armour line: kept to its end.
                while i < s.count && s[i] != .newline { protected[i] = true; i += 1 }
                continue
            }
            if (i == 0 || s[i - 1] == .dot) && s[i...].starts(with: Array("eyJ".utf8)) {
                for k in i..<(i + 3) { protected[k] = true }
            }
            i += 1
        }
        for i in s.indices where !protected[i] {
            let b = s[i]
            if isDigit(b) {
                out[i] = (50...55).contains(b) ? rng.digit(2...7) : rng.digit()
            } else if isUpper(b) {
                out[i] = rng.upper()
            } else if isLower(b) {
                out[i] = rng.lower()
            }
        }
        return out
    }
}

/// Names drawn for realistic PERSON and e-mail surrogates.
enum SurrogateNames {
    static let latinFirst = ["Alex", "Sam", "Robin", "Kim", "Charlie", "Jamie", "Morgan", "Taylor", "Casey", "Riley", "Avery",
                             "Quinn", "Noel", "Dana", "Lou", "Sasha", "Toni", "Eli", "Jules", "Remy", "Ari", "Blair", "Cameron",
                             "Drew", "Emery", "Finley", "Harper", "Indie", "Jordan", "Kai", "Logan", "Marlow", "Nico", "Oakes",
                             "Parker", "Reese", "Skyler", "Tatum", "Wren", "Zion"]
    /// Surnames are a start and an end (`Ash` + `grove`): 1,600 invented-sounding names from two short lists.
    static let surnameStarts = ["Ash", "Bright", "Cold", "Dun", "Elms", "Glen", "Hollo", "Ivy", "Juniper", "Kestrel", "Lark",
                                "Merri", "North", "Oak", "Penny", "Quarr", "Rosen", "Silver", "Thistle", "Under", "Vale", "Wester",
                                "Yarrow", "Zell", "Fern", "Birch", "Cinder", "Drift", "Ember", "Flint", "Gorse", "Heath", "Iron",
                                "Jasper", "Kettle", "Linden", "Moss", "Nettle", "Orchard", "Pebble"]
    static let surnameEnds = ["grove", "water", "brook", "more", "worth", "haven", "well", "bridge", "son", "ton", "spur",
                              "weather", "cott", "hurst", "whistle", "ington", "thorn", "birch", "wood", "hill", "mont", "by",
                              "mere", "field", "combe", "dale", "ford", "gate", "holm", "ley", "marsh", "stead", "wick", "shaw",
                              "thwaite", "burn", "cliffe", "fold", "ridge", "wold"]
    static let chineseSurnames = ["赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韩", "杨",
                                  "朱", "秦", "尤", "许"]
    static let chineseCompoundSurnames = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "宇文", "长孙"]
    static let chineseGiven = Array("璟瑀骞翊珩昶曦湛霁砚璨珏琰昀翎晞晗晔昕暄煜烨炜焕熠淼澈泓沅潇溟澜漪沐渝岚峥嵘崧屹祺禛禧祎祐铮锴钧镕骁骐骅驰鸾翱翀翰翮羿珣").map(String.init)

    static func latinLast(_ rng: inout SplitMix) -> String { rng.pick(surnameStarts) + rng.pick(surnameEnds) }
}
