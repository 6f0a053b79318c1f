/// Format rules of national identifiers beyond their check digits: which prefixes, areas and dates exist.
public enum IdentifierRules {
    /// US Social Security number: area 001–899 except 666, group 01–99, serial 0001–9999; all-same-digit
    /// numbers and the two famous published ones (Woolworth's wallet card, the 1962 ad) never belong to anyone.
    public static func isValidSSN(area: Int, group: Int, serial: Int) -> Bool {
        guard area > 0, area < 900, area != 666, group > 0, serial > 0 else { return false }
        let whole = area * 1_000_000 + group * 10_000 + serial
        if whole == 78_051_120 || whole == 219_099_999 { return false }
        return whole % 111_111_111 != 0
    }

    /// UK National Insurance number prefix: D, F, I, Q, U, V never appear; O never second; BG, GB, KN, NK,
    /// NT, TN and ZZ are not allocated.
    public static func isValidNINOPrefix(_ a: UInt8, _ b: UInt8) -> Bool {
        guard isUpper(a), isUpper(b) else { return false }
        switch a {
        case 68, 70, 73, 81, 85, 86: return false                 // D F I Q U V
        default: break
        }
        switch b {
        case 68, 70, 73, 79, 81, 85, 86: return false             // D F I O Q U V
        default: break
        }
        switch (a, b) {
        case (66, 71), (71, 66), (75, 78), (78, 75), (78, 84), (84, 78), (90, 90): return false // BG GB KN NK NT TN ZZ
        default: return true
        }
    }

    /// First two digits of a Chinese resident ID: the province-level divisions of GB/T 2260, plus Taiwan,
    /// Hong Kong and Macau (residence permits).
    public static func isValidCNProvince(_ code: Int) -> Bool {
        switch code {
        case 11...15, 21...23, 31...37, 41...46, 50...54, 61...65, 71, 81, 82, 83: return true
        default: return false
        }
    }

    /// A real calendar date between 1800 and 2099 (birth dates of ID numbers).
    public static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1800...2099).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// Full check of an 18-character Chinese resident ID: province, birth date, GB 11643 check character.
    public static func isValidCNID(_ chars: [UInt8]) -> Bool {
        guard chars.count == 18, Checksums.gb11643(chars) else { return false }
        func number(_ r: Range<Int>) -> Int { r.reduce(0) { $0 * 10 + digitValue(chars[$1]) } }
        return isValidCNProvince(number(0..<2)) && isValidDate(year: number(6..<10), month: number(10..<12), day: number(12..<14))
    }

    /// The first-generation ID (15 digits, issued until 2004): region, YYMMDD birth date in the 1900s,
    /// sequence; it has no check digit, so the stream also wants a context word before it takes one.
    public static func isValidLegacyCNID(_ digits: [UInt8]) -> Bool {
        guard digits.count == 15, digits.allSatisfy(isDigit) else { return false }
        func number(_ r: Range<Int>) -> Int { r.reduce(0) { $0 * 10 + digitValue(digits[$1]) } }
        return isValidCNProvince(number(0..<2)) && isValidDate(year: 1900 + number(6..<8), month: number(8..<10), day: number(10..<12))
    }

    /// IBAN length per country (SWIFT's IBAN registry).
    public static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
        "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
        "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
        "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
        "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
        "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
        "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
        "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    ]

    /// The same table indexed by the two letters, for the scanner's hot path (0 = no IBAN country).
    static let ibanLengthTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 26 * 26)
        for (code, length) in ibanLengths {
            let u = Array(code.utf8)
            table[Int(u[0] - 65) * 26 + Int(u[1] - 65)] = UInt8(length)
        }
        return table
    }()
}

extension IdentifierRules {
    /// Whether a card number's issuer prefix and length fit a real scheme (Visa, Mastercard incl. the 2-series,
    /// Amex, Diners, JCB, Discover, UnionPay, Maestro, UATP): it keeps long order numbers that happen to pass
    /// Luhn (one in ten) from being taken for cards.
    public static func isPlausibleCardNumber(_ digits: [UInt8]) -> Bool {
        let length = digits.count
        guard length >= 12, length <= 19 else { return false }
        let two = digitValue(digits[0]) * 10 + digitValue(digits[1])
        let four = two * 100 + digitValue(digits[2]) * 10 + digitValue(digits[3])
        switch digits[0] {
        case 49: return length == 15                                                      // UATP
        case 50: return (2221...2720).contains(four) && length == 16                     // Mastercard 2-series
        case 51: return two == 34 || two == 37 ? length == 15
            : two == 35 ? (3528...3589).contains(four) && length >= 16
            : (two == 30 || two == 36 || two == 38 || two == 39) && length >= 14          // Diners
        case 52: return length == 13 || length == 16 || length == 19                      // Visa
        case 53: return (51...55).contains(two) ? length == 16 : two == 50 || two >= 56   // Mastercard, Maestro
        case 54: return true                                                              // Discover, UnionPay, Maestro
        default: return false
        }
    }
}
