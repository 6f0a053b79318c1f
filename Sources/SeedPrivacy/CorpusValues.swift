// Values for the labelled corpus: real formats with valid check digits for entities, and look-alikes for
// decoys (dates, versions, prices, order numbers, times, invoice numbers that fail Luhn).

struct CorpusValues {
    var rng: SplitMix

    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(UnicodeScalar(rng.digit())) }) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { rng.pick(items) }

    /// Groups `text` in chunks of the given sizes joined by `separator`.
    func grouped(_ text: String, _ sizes: [Int], _ separator: String) -> String {
        var parts: [String] = []
        var rest = Substring(text)
        for s in sizes where !rest.isEmpty {
            parts.append(String(rest.prefix(s)))
            rest = rest.dropFirst(s)
        }
        if !rest.isEmpty { parts.append(String(rest)) }
        return parts.joined(separator: separator)
    }

    mutating func alnum(_ count: Int, alphabet: String = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") -> String {
        let a = Array(alphabet)
        return String((0..<count).map { _ in a[int(0...(a.count - 1))] })
    }

    // MARK: people

    static let otherFirstNames = ["Priya", "Kwame", "Aiko", "Mateo", "Siobhan", "Bogdan", "Yusuf", "Ngozi", "Astrid", "Ravi",
                                  "Ines", "Tomasz", "Leilani", "Dmitri", "Anouk", "Emeka"]
    static let surnames = ["Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "Clarke",
                           "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
                           "Dubois", "Martin", "Bernard", "Lefebvre", "Moreau", "Laurent", "Girard", "Rousseau", "Fournier", "Lambert",
                           "O'Brien", "Nguyen", "García", "Kowalski", "Patel", "Okafor", "Jensen", "Rossi", "Novak", "Haddad"]
    static let titles = ["Dr.", "Mr", "Mrs", "Ms.", "Prof.", "Herr", "Frau", "Mme", "M."]
    static let chineseGiven = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰").map(String.init)

    mutating func person(language: String) -> String {
        if language == "zh" {
            var name = pick(NameLists.chineseSurnames.filter { $0.count == 1 })
            for _ in 0..<int(1...2) { name += pick(Self.chineseGiven) }
            return name
        }
        let last = pick(Self.surnames)
        if chance(0.2) { return "\(pick(Self.titles)) \(last)" }
        let first = chance(0.8) ? pick(NameLists.firstNames) : pick(Self.otherFirstNames)
        return "\(first) \(last)"
    }

    /// A title-led name keeps the title outside the labelled span.
    static func personLabelOffset(_ name: String) -> Int {
        for t in titles where name.hasPrefix(t + " ") { return t.utf8.count + 1 }
        return 0
    }

    mutating func email() -> String {
        let first = pick(NameLists.firstNames).lowercased().folding(options: .diacriticInsensitive, locale: nil)
        let last = pick(Self.surnames).lowercased().folding(options: .diacriticInsensitive, locale: nil).replacingOccurrences(of: "'", with: "")
        let domain = pick(["gmail.com", "web.de", "orange.fr", "qq.com", "163.com", "outlook.com", "acme-corp.co.uk", "mail.example.org",
                           "yahoo.fr", "gmx.net", "company.io", "uni-heidelberg.de"])
        switch int(0...6) {
        case 6: return "\(pick(NameLists.firstNames).lowercased()).\(pick(Self.surnames).lowercased().replacingOccurrences(of: "'", with: ""))@\(pick(["web.de", "müller-bau.de", "société.fr", "gmail.com"]))"
        case 0: return "\(first).\(last)@\(domain)"
        case 1: return "\(first.prefix(1))\(last)\(int(1...99))@\(domain)"
        case 2: return "\(first)_\(last)+news@\(domain)"
        case 3: return "\(digits(1))\(digits(8))@qq.com"
        case 4: return "\(first.capitalized).\(last.capitalized)@\(domain)"
        default: return "\(first)\(int(1970...2005))@\(domain)"
        }
    }

    // MARK: phones

    mutating func phone(language: String) -> String {
        let country: String
        switch language {
        case "de": country = chance(0.8) ? "DE" : pick(["US", "UK", "FR"])
        case "fr": country = chance(0.8) ? "FR" : pick(["DE", "UK", "US"])
        case "zh": country = chance(0.9) ? "CN" : "US"
        default: country = pick(["US", "US", "UK", "IN", "CA"])
        }
        switch country {
        case "US", "CA":
            let area = "\(int(2...9))\(digits(2))", exchange = "\(int(2...9))\(digits(2))", line = digits(4)
            return pick(["(\(area)) \(exchange)-\(line)", "\(area)-\(exchange)-\(line)", "\(area).\(exchange).\(line)", "+1 \(area) \(exchange) \(line)",
                         "+1-\(area)-\(exchange)-\(line)", "1-\(area)-\(exchange)-\(line)", "+1\(area)\(exchange)\(line)", "+1 (\(area)) \(exchange)-\(line)"])
        case "UK":
            return pick(["020 \(int(3...8))\(digits(3)) \(digits(4))", "+44 20 \(int(3...8))\(digits(3)) \(digits(4))", "07\(int(4...9))\(digits(2)) \(digits(6))",
                         "+44 7\(int(4...9))\(digits(2)) \(digits(6))", "0161 \(digits(3)) \(digits(4))", "+44 (0)20 \(int(3...8))\(digits(3)) \(digits(4))",
                         "01632 \(digits(6))"])
        case "DE":
            return pick(["030 \(int(1...9))\(digits(7))", "+49 30 \(int(1...9))\(digits(7))", "0171 \(digits(7))", "+49 171 \(digits(7))",
                         "089/\(int(1...9))\(digits(6))", "(030) \(int(1...9))\(digits(3))-\(digits(4))", "0211 \(int(1...9))\(digits(2)) \(digits(2)) \(digits(2))",
                         "+49 (0)89 \(int(1...9))\(digits(6))", "0049 30 \(int(1...9))\(digits(7))"])
        case "FR":
            let n = "\(int(1...7))", rest = (0..<4).map { _ in digits(2) }
            return pick(["0\(n) \(rest.joined(separator: " "))", "+33 \(n) \(rest.joined(separator: " "))", "0\(n).\(rest.joined(separator: "."))",
                         "0\(n)\(rest.joined())", "+33 (0)\(n) \(rest.joined(separator: " "))", "0\(n)-\(rest.joined(separator: "-"))"])
        case "IN":
            let m = "\(int(6...9))\(digits(4))", r = digits(5)
            return pick(["+91 \(m) \(r)", "\(m) \(r)", "+91-\(m)-\(r)", "0\(m) \(r)", "+91 \(m)\(r)", "91 \(m) \(r)"])
        default:
            let mobile = "1\(int(3...9))\(digits(9))"
            // Chinese text sometimes writes numbers in full-width digits.
            if chance(0.1) { return String(String.UnicodeScalarView(grouped(mobile, [3, 4], " ").unicodeScalars.map { isDigit(UInt8($0.value)) ? Unicode.Scalar($0.value + 0xFF10 - 48)! : $0 })) }
            return pick([mobile, grouped(mobile, [3, 4], " "), grouped(mobile, [3, 4], "-"), "+86 \(grouped(mobile, [3, 4], " "))", "+86 \(mobile)",
                         "010-\(int(2...8))\(digits(7))", "0755-\(int(2...8))\(digits(7))", "(021) \(int(2...8))\(digits(7))", "86 \(mobile)"])
        }
    }

    // MARK: cards, bank accounts, identifiers

    mutating func card() -> String {
        let (prefix, length): (String, Int) = pick([
            ("4", 16), ("4", 16), ("4", 13), ("4", 19), ("5\(int(1...5))", 16), ("\(int(2221...2720))", 16), ("3\(pick(["4", "7"]))", 15),
            ("6011", 16), ("65", 16), ("\(int(3528...3589))", 16), ("6759", 12), ("5018", 19), ("62", 16), ("62", 19), ("36", 14),
        ])
        var payload = Array((prefix + digits(length - prefix.count - 1)).utf8)
        payload.append(Checksums.luhnCheckDigit(payload))
        let number = String(decoding: payload, as: UTF8.self)
        if chance(0.35) { return number }
        let separator = chance(0.7) ? " " : "-"
        if length == 15 { return grouped(number, [4, 6], separator) }
        if length == 14 { return grouped(number, [4, 6], separator) }
        return grouped(number, [4, 4, 4, 4], separator)
    }

    /// Invoice numbers printed like cards but failing Luhn.
    mutating func invoiceNumber() -> String {
        var payload = Array((pick(["4", "5", "6"]) + digits(14)).utf8)
        let check = Checksums.luhnCheckDigit(payload)
        payload.append(UInt8(48 + (digitValue(check) + int(1...9)) % 10))
        let number = String(decoding: payload, as: UTF8.self)
        return chance(0.5) ? grouped(number, [4, 4, 4], " ") : number
    }

    mutating func iban() -> String {
        let (country, bban): (String, String) = pick([
            ("DE", digits(18)), ("GB", "\(alnum(4, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))\(digits(14))"), ("FR", digits(23)), ("ES", digits(20)),
            ("IT", "\(alnum(1, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))\(digits(22))"), ("NL", "\(alnum(4, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))\(digits(10))"),
            ("BE", digits(12)), ("CH", digits(17)), ("AT", digits(16)), ("PL", digits(24)), ("NO", digits(11)), ("MT", "\(alnum(4, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))\(digits(23))"),
        ])
        let check = Checksums.ibanCheckDigits(country: Array(country.utf8), bban: Array(bban.utf8))
        let iban = country + String(decoding: check, as: UTF8.self) + bban
        return chance(0.5) ? iban : grouped(iban, Array(repeating: 4, count: iban.count / 4), " ")
    }

    mutating func ssn() -> String {
        var area = 0, group = 0, serial = 0
        repeat { area = int(1...899); group = int(1...99); serial = int(1...9999) } while !IdentifierRules.isValidSSN(area: area, group: group, serial: serial)
        let separator = chance(0.8) ? "-" : " "
        return String(format: "%03d%@%02d%@%04d", area, separator, group, separator, serial)
    }

    mutating func cnID() -> String {
        // One in six is a first-generation 15-digit ID (born in the 1900s, no check digit).
        if chance(1.0 / 6) {
            return "\(pick(RealisticSurrogates.cnProvinces))" + String(format: "%02d%02d%02d%02d%02d%03d", int(1...20), int(1...30), int(40...99), int(1...12), int(1...28), int(0...999))
        }
        var text = "\(pick(RealisticSurrogates.cnProvinces))\(String(format: "%02d%02d", int(1...20), int(1...30)))"
        text += String(format: "%04d%02d%02d%03d", int(1940...2008), int(1...12), int(1...28), int(0...999))
        var chars = Array(text.utf8)
        chars.append(Checksums.gb11643CheckCharacter(chars))
        return String(decoding: chars, as: UTF8.self)
    }

    mutating func nino() -> String {
        var a: UInt8 = 0, b: UInt8 = 0
        repeat { a = rng.upper(); b = rng.upper() } while !IdentifierRules.isValidNINOPrefix(a, b)
        let prefix = String(decoding: [a, b], as: UTF8.self), d = digits(6), suffix = pick(["A", "B", "C", "D"])
        return chance(0.5) ? "\(prefix)\(d)\(suffix)" : "\(prefix) \(grouped(d, [2, 2], " ")) \(suffix)"
    }

    mutating func aadhaar() -> String {
        var payload = Array("\(int(2...9))\(digits(10))".utf8)
        payload.append(Checksums.verhoeffCheckDigit(payload))
        let number = String(decoding: payload, as: UTF8.self)
        return chance(0.7) ? grouped(number, [4, 4], " ") : number
    }

    // MARK: network

    mutating func ipv4() -> String {
        let ip = "\(int(1...223)).\(int(0...255)).\(int(0...255)).\(int(1...254))"
        return chance(0.15) ? ip + "/\(pick([8, 16, 24, 32]))" : ip
    }

    mutating func ipv6() -> String {
        func h() -> String { String(Int.random(in: 1...0xFFFF, using: &rng), radix: 16) }
        switch int(0...6) {
        case 0: return (0..<8).map { _ in h() }.joined(separator: ":")
        case 1: return "2001:db8:\(h())::\(h()):\(h())"
        case 2: return "fe80::\(h()):\(h()):\(h()):\(h())"
        case 3: return "::1"
        case 4: return "::ffff:\(int(1...223)).\(int(0...255)).\(int(0...255)).\(int(1...254))"
        case 5: return "2001:db8::\(h())/64"
        default: return "\(h()):\(h())::\(h())"
        }
    }

    mutating func mac() -> String {
        let bytes = (0..<6).map { _ in String(format: "%02x", int(0...255)) }
        switch int(0...3) {
        case 0: return bytes.joined(separator: ":").uppercased()
        case 1: return bytes.joined(separator: ":")
        case 2: return bytes.joined(separator: "-").uppercased()
        default: return "\(bytes[0])\(bytes[1]).\(bytes[2])\(bytes[3]).\(bytes[4])\(bytes[5])"
        }
    }

    /// A URL with credentials; returns the URL and the offset and length of `user:password` in it.
    mutating func urlWithCredentials() -> (String, Int, Int) {
        let scheme = pick(["https", "postgres", "mysql", "ftp", "redis", "amqp"])
        let user = pick(["admin", "deploy", "svc_backup", "root", "app"]) + (chance(0.5) ? "" : digits(2))
        let password = alnum(int(8...16)) + pick(["", "!", "#9", "_x"])
        let host = pick(["db.internal.example.com", "10.0.3.7", "ftp.example.org", "cache.prod:6379", "mq.example.net"])
        let credentials = "\(user):\(password)"
        return ("\(scheme)://\(credentials)@\(host)/\(pick(["app", "data", "", "v1/queue"]))", "\(scheme)://".utf8.count, credentials.utf8.count)
    }

    // MARK: secrets

    mutating func secret() -> String {
        let base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        switch int(0...9) {
        case 0: return "sk-proj-\(alnum(int(40...90), alphabet: base64url))"
        case 1: return "sk-\(alnum(20))T3BlbkFJ\(alnum(20))"
        case 2: return "sk-ant-api03-\(alnum(93, alphabet: base64url))AA"
        case 3: return "AKIA\(alnum(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))"
        case 4: return "ghp_\(alnum(36))"
        case 5: return "glpat-\(alnum(20, alphabet: base64url))"
        case 6: return "xoxb-\(digits(12))-\(digits(12))-\(alnum(24))"
        case 7:
            let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            return "\(header).eyJ\(alnum(int(20...60), alphabet: base64url)).\(alnum(43, alphabet: base64url))"
        case 8:
            let kind = pick(["RSA ", "EC ", "OPENSSH ", ""])
            let body = (0..<int(3...6)).map { _ in alnum(64, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") }.joined(separator: "\n")
            return "-----BEGIN \(kind)PRIVATE KEY-----\n\(body)\n-----END \(kind)PRIVATE KEY-----"
        default: return "github_pat_\(alnum(22))_\(alnum(59))"
        }
    }

    /// `key=value` with a secret value; returns the text and the offset of the value.
    mutating func assignment() -> (String, Int, Int) {
        let (key, value): (String, String) = pick([
            ("password", alnum(int(8...14)) + pick(["!", "#", "", "$2"])),
            ("DB_PASSWORD", alnum(int(10...20))),
            ("api_key", alnum(32, alphabet: "0123456789abcdef")),
            ("aws_secret_access_key", alnum(40, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")),
            ("client_secret", alnum(int(24...40))),
            ("Passwort", alnum(int(8...12)) + digits(2)),
            ("auth_token", alnum(int(30...40))),
            ("secret", alnum(int(16...32))),
        ])
        let (op, quote) = pick([("=", ""), (": ", ""), (" = ", "\""), ("=", "'"), (": ", "\"")])
        let text = "\(key)\(op)\(quote)\(value)\(quote)"
        return (text, "\(key)\(op)\(quote)".utf8.count, value.utf8.count)
    }

    // MARK: decoys

    mutating func date(language: String) -> String {
        let y = int(1990...2030), m = int(1...12), d = int(1...28)
        switch language {
        case "de": return pick([String(format: "%02d.%02d.%04d", d, m, y), String(format: "%d.%d.%d", d, m, y), String(format: "%04d-%02d-%02d", y, m, d)])
        case "fr": return pick([String(format: "%02d/%02d/%04d", d, m, y), "\(d) \(pick(["janvier", "mars", "mai", "octobre"])) \(y)", String(format: "%04d-%02d-%02d", y, m, d)])
        case "zh": return pick(["\(y)年\(m)月\(d)日", String(format: "%04d-%02d-%02d", y, m, d), String(format: "%04d/%02d/%02d", y, m, d)])
        default: return pick([String(format: "%02d/%02d/%04d", m, d, y), "\(pick(["May", "June", "March", "October"])) \(d), \(y)", String(format: "%04d-%02d-%02d", y, m, d)])
        }
    }

    mutating func version() -> String {
        pick(["v\(int(1...9)).\(int(0...20)).\(int(0...30))", "\(int(1...20)).\(int(0...20)).\(int(0...99))", "\(int(1...4)).\(int(0...12))",
              "build \(int(1000...99999))", "\(int(10...19)).\(int(0...9)).\(int(19000...22631))"])
    }

    mutating func price(language: String) -> String {
        let whole = int(1...9999), cents = int(0...99)
        switch language {
        case "de": return pick([String(format: "%d,%02d €", whole, cents), String(format: "%d.%03d,%02d EUR", int(1...99), int(0...999), cents)])
        case "fr": return pick([String(format: "%d,%02d €", whole, cents), "\(int(1...99)) \(String(format: "%03d", int(0...999))) €"])
        case "zh": return pick(["¥\(whole)", String(format: "%d.%02d元", whole, cents)])
        default: return pick([String(format: "$%d.%02d", whole, cents), String(format: "$%d,%03d.%02d", int(1...99), int(0...999), cents), "USD \(whole)"])
        }
    }

    mutating func orderNumber() -> String {
        pick(["#\(int(10000...999999))", "ORD-\(int(2015...2030))-\(digits(6))", "\(digits(4))-\(digits(4))-\(digits(2))", "A\(digits(7))",
              "\(int(100_000...9_999_999))", "\(int(2015...2030))\(String(format: "%02d%02d", int(1...12), int(1...28)))\(digits(5))"])
    }

    mutating func time(language: String) -> String {
        let h = int(0...23), m = int(0...59)
        switch language {
        case "fr": return pick([String(format: "%dh%02d", h, m), String(format: "%02d:%02d", h, m)])
        case "zh": return pick([String(format: "%d:%02d", h, m), "下午\(int(1...11)):\(String(format: "%02d", m))"])
        default: return pick([String(format: "%02d:%02d", h, m), String(format: "%02d:%02d:%02d", h, m, int(0...59)), String(format: "%d:%02d %@", int(1...12), m, pick(["AM", "PM"]))])
        }
    }
}

import Foundation
