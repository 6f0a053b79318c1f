/// The check-digit algorithms that turn "looks like a number of this kind" into "is one". Each takes
/// the digits (or characters) only, separators already removed.
public enum Checksums {
    /// Luhn mod 10 (payment cards, Canadian SIN).
    public static func luhn(_ digits: some Collection<UInt8>) -> Bool {
        guard digits.count >= 2 else { return false }
        var sum = 0
        var double = false
        for b in digits.reversed() {
            guard isDigit(b) else { return false }
            var d = digitValue(b)
            if double { d *= 2; if d > 9 { d -= 9 } }
            sum += d
            double.toggle()
        }
        return sum % 10 == 0
    }

    /// The digit that makes `payload` followed by it Luhn-valid.
    public static func luhnCheckDigit(_ payload: [UInt8]) -> UInt8 {
        var sum = 0
        var double = true
        for b in payload.reversed() {
            var d = digitValue(b)
            if double { d *= 2; if d > 9 { d -= 9 } }
            sum += d
            double.toggle()
        }
        return UInt8(48 + (10 - sum % 10) % 10)
    }

    /// ISO 13616 IBAN check: move the first four characters to the end, letters become 10...35, and the
    /// number mod 97 must be 1.
    public static func ibanMod97(_ chars: some Collection<UInt8>) -> Bool {
        guard chars.count >= 5 else { return false }
        // Read in the rotated order without building the rotated copy: this runs for every IBAN candidate.
        var r = 0
        for b in chars.dropFirst(4) {
            guard let next = ibanStep(r, b) else { return false }
            r = next
        }
        for b in chars.prefix(4) {
            guard let next = ibanStep(r, b) else { return false }
            r = next
        }
        return r == 1
    }

    /// Remainder mod 97 of an alphanumeric string read as ISO 7064 digits (A = 10 ... Z = 35); -1 if a
    /// character is neither a digit nor an upper-case letter.
    static func ibanRemainder(_ chars: [UInt8]) -> Int {
        var r = 0
        for b in chars {
            guard let next = ibanStep(r, b) else { return -1 }
            r = next
        }
        return r
    }

    /// The remainder after one more character, nil for a character that is neither a digit nor an
    /// upper-case letter.
    @inline(__always)
    private static func ibanStep(_ r: Int, _ b: UInt8) -> Int? {
        if isDigit(b) { return (r * 10 + digitValue(b)) % 97 }
        if isUpper(b) { return (r * 100 + Int(b - 55)) % 97 }
        return nil
    }

    /// The two check digits for a country code and BBAN.
    public static func ibanCheckDigits(country: [UInt8], bban: [UInt8]) -> [UInt8] {
        let r = ibanRemainder(bban + country + [48, 48])
        let check = 98 - r
        return [UInt8(48 + check / 10), UInt8(48 + check % 10)]
    }

    private static let gb11643Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let gb11643Checks: [UInt8] = Array("10X98765432".utf8)

    /// The check character of a Chinese resident ID (GB 11643-1999, ISO 7064 MOD 11-2) for its first 17 digits.
    public static func gb11643CheckCharacter(_ first17: some Collection<UInt8>) -> UInt8 {
        var sum = 0
        for (b, w) in zip(first17, gb11643Weights) { sum += digitValue(b) * w }
        return gb11643Checks[sum % 11]
    }

    /// 18 characters: 17 digits and the check character (`X` in either case).
    public static func gb11643(_ chars: some Collection<UInt8>) -> Bool {
        guard chars.count == 18 else { return false }
        let a = Array(chars)
        guard a[0..<17].allSatisfy(isDigit) else { return false }
        let last = a[17] == UInt8(ascii: "x") ? UInt8(ascii: "X") : a[17]
        return gb11643CheckCharacter(a[0..<17]) == last
    }

    /// The dihedral group's table, row-major (`c * 10 + d`), and the position permutations (`i % 8 * 10 + d`):
    /// flat, so that a check reads two buffers instead of retaining a row array per digit.
    private static let verhoeffMultiplication: [Int] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 0, 6, 7, 8, 9, 5, 2, 3, 4, 0, 1, 7, 8, 9, 5, 6,
        3, 4, 0, 1, 2, 8, 9, 5, 6, 7, 4, 0, 1, 2, 3, 9, 5, 6, 7, 8, 5, 9, 8, 7, 6, 0, 4, 3, 2, 1,
        6, 5, 9, 8, 7, 1, 0, 4, 3, 2, 7, 6, 5, 9, 8, 2, 1, 0, 4, 3, 8, 7, 6, 5, 9, 3, 2, 1, 0, 4,
        9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
    ]
    private static let verhoeffPermutation: [Int] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 5, 7, 6, 2, 8, 3, 0, 9, 4, 5, 8, 0, 3, 7, 9, 6, 1, 4, 2,
        8, 9, 1, 6, 0, 4, 3, 5, 2, 7, 9, 4, 5, 3, 1, 2, 6, 8, 7, 0, 4, 2, 8, 6, 5, 7, 3, 9, 0, 1,
        2, 7, 9, 3, 8, 0, 6, 4, 1, 5, 7, 0, 4, 6, 9, 1, 3, 2, 5, 8,
    ]
    private static let verhoeffInverse = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]

    /// The Verhoeff checksum of `digits` read from the last, the first of them at position `offset`
    /// (1 when a check digit is still to come); nil if one is not a digit.
    private static func verhoeffChecksum(_ digits: some Collection<UInt8>, offset: Int) -> Int? {
        verhoeffMultiplication.withUnsafeBufferPointer { multiplication in
            verhoeffPermutation.withUnsafeBufferPointer { permutation in
                var c = 0
                for (i, b) in digits.reversed().enumerated() {
                    guard isDigit(b) else { return nil }
                    c = multiplication[c * 10 + permutation[(i + offset) % 8 * 10 + digitValue(b)]]
                }
                return c
            }
        }
    }

    /// Verhoeff's dihedral check (Indian Aadhaar): catches every single-digit error and adjacent swap.
    public static func verhoeff(_ digits: some Collection<UInt8>) -> Bool {
        !digits.isEmpty && verhoeffChecksum(digits, offset: 0) == 0
    }

    /// The digit that makes `payload` followed by it Verhoeff-valid.
    public static func verhoeffCheckDigit(_ payload: [UInt8]) -> UInt8 {
        UInt8(48 + verhoeffInverse[verhoeffChecksum(payload, offset: 1) ?? 0])
    }
}
