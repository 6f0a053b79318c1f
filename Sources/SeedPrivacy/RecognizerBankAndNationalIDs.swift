// Letter-led identifiers: IBANs (country length + mod 97, printed whole or in groups of four) and UK
// National Insurance numbers (prefix rules, `AB123456C` or `AB 12 34 56 C`).

extension TextScanner {
    mutating func scanIBAN(_ i: Int) -> Int? {
        let expected = Int(IdentifierRules.ibanLengthTable[Int(p[i] - 65) * 26 + Int(p[i + 1] - 65)])
        guard expected > 0 else { return nil }
        var chars: [UInt8] = [p[i], p[i + 1], p[i + 2], p[i + 3]]
        chars.reserveCapacity(expected)
        var k = i + 4
        var groupLength = 4
        var separator: UInt8 = 0
        while chars.count < expected {
            let c = at(k)
            if isDigit(c) || isUpper(c) {
                chars.append(c)
                groupLength += 1
                k += 1
            } else if (c == .space || c == .dash), groupLength == 4, separator == 0 || separator == c, isAlnum(at(k + 1)) {
                separator = c
                groupLength = 0
                k += 1
            } else {
                break
            }
        }
        guard chars.count == expected, !isAlnum(at(k)), Checksums.ibanMod97(chars) else { return nil }
        emit(i, k, .iban, 1.0)
        return k
    }

    mutating func scanNINO(_ i: Int) -> Int? {
        guard IdentifierRules.isValidNINOPrefix(p[i], p[i + 1]) else { return nil }
        var k = i + 2
        let spaced = at(k) == .space
        for pair in 0..<3 {
            if spaced {
                guard at(k) == .space else { return nil }
                k += 1
            }
            guard isDigit(at(k)), isDigit(at(k + 1)) else { return nil }
            k += 2
            _ = pair
        }
        if spaced || at(k) == .space { k += at(k) == .space ? 1 : 0 }
        let suffix = at(k)
        guard suffix >= UInt8(ascii: "A"), suffix <= UInt8(ascii: "D"), !isAlnum(at(k + 1)) else { return nil }
        emit(i, k + 1, .ukNINO, 0.9)
        return k + 1
    }
}
