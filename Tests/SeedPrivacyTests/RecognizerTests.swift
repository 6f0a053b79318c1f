@testable import SeedPrivacy
import XCTest

/// One or two positive and negative examples per recognizer, with exact spans.
final class RecognizerTests: XCTestCase {
    let detector = Detector()

    /// The detected substrings with their types.
    func found(_ text: String) -> [String] {
        let utf8 = Array(text.utf8)
        return detector.detect(text).map { "\($0.type.name):\(String(decoding: utf8[$0.start..<$0.end], as: UTF8.self))" }
    }

    func assertFinds(_ text: String, _ expected: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found(text), expected, text, file: file, line: line)
    }

    func testEmail() {
        assertFinds("write to john.smith+news@mail.example.co.uk.", "EMAIL:john.smith+news@mail.example.co.uk")
        assertFinds("QQ 12345678@qq.com ok", "EMAIL:12345678@qq.com")
        assertFinds("not an address: a@b, @home, user@localhost")
        assertFinds("Mail an jürgen.groß@müller-bau.de bitte", "EMAIL:jürgen.groß@müller-bau.de")
        assertFinds("écrire à élodie@société.fr.", "EMAIL:élodie@société.fr")
        assertFinds("邮箱zhang.wei@qq.com，谢谢", "EMAIL:zhang.wei@qq.com")
    }

    func testPhoneFormats() {
        for phone in ["+1 415 555 2671", "(415) 555-2671", "415-555-2671", "415.555.2671", "1-415-555-2671", "+14155552671",
                      "020 7946 0018", "+44 20 7946 0018", "07700 900123", "+44 (0)20 7946 0018",
                      "030 12345678", "+49 30 12345678", "089/1234567", "0211 123 45 67", "0049 30 12345678",
                      "01 23 45 67 89", "+33 6 12 34 56 78", "06.12.34.56.78", "0612345678",
                      "13812345678", "138 1234 5678", "+86 138 1234 5678", "010-12345678", "0755-1234567",
                      "+91 98765 43210", "98765 43210", "098765 43210"] {
            assertFinds("call \(phone) now", "PHONE:\(phone)")
        }
        // Bare ten digits need context.
        assertFinds("order 4155552671 shipped")
        assertFinds("phone: 4155552671", "PHONE:4155552671")
    }

    func testPhoneDecoys() {
        assertFinds("on 12.05.2023 at 14:30, version 1.2.3, price $1,299.99, build 10.0.19041")
        assertFinds("order 0758-4625-52 and 2023-05-12")
    }

    func testCreditCards() {
        assertFinds("card 4111 1111 1111 1111.", "CREDIT_CARD:4111 1111 1111 1111")
        assertFinds("amex 3782-822463-10005", "CREDIT_CARD:3782-822463-10005")
        assertFinds("mc 2221000000000009", "CREDIT_CARD:2221000000000009")
        assertFinds("invoice 4111 1111 1111 1112 fails Luhn")
        assertFinds("invoice 5084 8932 1036 3837 and more")
    }

    /// A chunk is read 64 groups at most (into fixed slots); what follows starts a chunk of its own.
    func testLongNumberChunks() {
        let ones = Array(repeating: "1", count: 20).joined(separator: " ")
        assertFinds("\(ones). Card 4111 1111 1111 1111.", "CREDIT_CARD:4111 1111 1111 1111")
        assertFinds("\(ones) 4111 1111 1111 1111")
        let phones = Array(repeating: "415 555 2671", count: 6).joined(separator: " ")
        assertFinds(phones, "PHONE:415 555 2671", "PHONE:415 555 2671", "PHONE:415 555 2671", "PHONE:415 555 2671",
                    "PHONE:415 555 2671", "PHONE:415 555 2671")
        let many = Array(repeating: "1", count: 70).joined(separator: " ")
        assertFinds("\(many) 415 555 2671")
    }

    func testIBAN() {
        assertFinds("IBAN DE89 3704 0044 0532 0130 00.", "IBAN:DE89 3704 0044 0532 0130 00")
        assertFinds("iban:GB82WEST12345698765432", "IBAN:GB82WEST12345698765432")
        assertFinds("DE89 3704 0044 0532 0130 01 has a bad check")
    }

    func testNationalIdentifiers() {
        assertFinds("SSN 536-22-1234.", "US_SSN:536-22-1234")
        assertFinds("SSN 666-22-1234 is never issued")
        assertFinds("ssn 536221234", "US_SSN:536221234")
        assertFinds("身份证号11010519491231002X。", "CN_ID:11010519491231002X")
        assertFinds("ID 440524188001010014", "CN_ID:440524188001010014")
        // First-generation IDs (15 digits, no check digit) only next to a word for an ID card.
        assertFinds("身份证号110105491231002。", "CN_ID:110105491231002")
        assertFinds("old ID card 110105 491231 002", "CN_ID:110105 491231 002")
        assertFinds("ref 110105491231002")
        assertFinds("身份证号110105491331002")
        assertFinds("NINO AB 12 34 56 C and QQ123456C", "UK_NINO:AB 12 34 56 C")
        var aadhaar = Array("23456789012".utf8)
        aadhaar.append(Checksums.verhoeffCheckDigit(aadhaar))
        let grouped = String(decoding: aadhaar[0..<4], as: UTF8.self) + " " + String(decoding: aadhaar[4..<8], as: UTF8.self) + " "
            + String(decoding: aadhaar[8...], as: UTF8.self)
        assertFinds("Aadhaar: \(grouped)", "IN_AADHAAR:\(grouped)")
        assertFinds("ref \(grouped)")
        let bare = String(decoding: aadhaar, as: UTF8.self)
        assertFinds("Aadhaar no. \(bare)", "IN_AADHAAR:\(bare)")
        assertFinds("ref \(bare)")
    }

    func testFullWidthDigits() {
        assertFinds("手机：１３８ １２３４ ５６７８。", "PHONE:１３８ １２３４ ５６７８")
        assertFinds("电话１３８１２３４５６７８，", "PHONE:１３８１２３４５６７８")
        assertFinds("卡号４１１１１１１１１１１１１１１１", "CREDIT_CARD:４１１１１１１１１１１１１１１１")
        assertFinds("共１２３件，２０２４年")
    }

    func testNetwork() {
        assertFinds("from 192.168.0.1/24 and 10.0.0.256", "IPV4:192.168.0.1/24")
        for ip in ["2001:db8::1", "::1", "fe80::1ff:fe23:4567:890a", "::ffff:192.0.2.128", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "1::", "2001:db8::/32"] {
            assertFinds("addr \(ip) up", "IPV6:\(ip)")
        }
        assertFinds("at 10:30:45, std::vector, a:b")
        assertFinds("MAC 00:1A:2B:3C:4D:5E, 00-1a-2b-3c-4d-5f, 001a.2b3c.4d5e",
                    "MAC:00:1A:2B:3C:4D:5E", "MAC:00-1a-2b-3c-4d-5f", "MAC:001a.2b3c.4d5e")
        assertFinds("null 00:00:00:00:00:00")
    }

    func testSecrets() {
        let openai = "sk-proj-" + String(repeating: "aB3_", count: 20)
        let anthropic = "sk-ant-api03-" + String(repeating: "x9Y-", count: 23) + "zAA"
        assertFinds("key \(openai) end", "SECRET:\(openai)")
        assertFinds("key \(anthropic)", "SECRET:\(anthropic)")
        assertFinds("AKIAIOSFODNN7EXAMPLE", "SECRET:AKIAIOSFODNN7EXAMPLE")
        assertFinds("token ghp_" + String(repeating: "a1B2", count: 9), "SECRET:ghp_" + String(repeating: "a1B2", count: 9))
        assertFinds("glpat-abcdefghij0123456789", "SECRET:glpat-abcdefghij0123456789")
        assertFinds("xoxb-123456789012-123456789012-abcdefABCDEF", "SECRET:xoxb-123456789012-123456789012-abcdefABCDEF")
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        assertFinds("Bearer \(jwt)", "SECRET:\(jwt)")
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----"
        assertFinds("key:\n\(pem)\nbye", "SECRET:\(pem)")
        assertFinds("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
    }

    func testAssignments() {
        assertFinds("password=Tr0ub4dor!3 next", "SECRET:Tr0ub4dor!3")
        assertFinds("AWS_SECRET_ACCESS_KEY = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", "SECRET:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        assertFinds("api_key: 50f566e11d4a1d16b876f4263453d8cd", "SECRET:50f566e11d4a1d16b876f4263453d8cd")
        assertFinds("密码：abc123xyz，谢谢", "SECRET:abc123xyz")
        assertFinds("password: changeme; token: 42; the bypass=on; password: ${DB_PASS}")
    }

    func testURLCredentials() {
        assertFinds("clone https://deploy:s3cr3t!@git.example.com/repo.git", "URL_CREDENTIAL:deploy:s3cr3t!")
    }

    func testPerson() {
        assertFinds("Please ask Laura Becker.", "PERSON:Laura Becker")
        assertFinds("Dr. Schmidt and Mme Dubois", "PERSON:Schmidt", "PERSON:Dubois")
        assertFinds("Jürgen Müller-Lüdenscheidt", "PERSON:Jürgen Müller-Lüdenscheidt")
        assertFinds("请联系张伟先生", "PERSON:张伟")
        assertFinds("姓名：王小明，电话", "PERSON:王小明")
        assertFinds("Will The May I")
    }

    /// Chinese, emoji and combining marks right next to an entity change neither detection nor offsets.
    func testUnicodeNeighbours() {
        assertFinds("邮箱john@example.com。", "EMAIL:john@example.com")
        assertFinds("📞13812345678🙂", "PHONE:13812345678")
        assertFinds("e\u{301}192.168.1.1\u{301}", "IPV4:192.168.1.1")
        assertFinds("👩‍👩‍👧 4111111111111111 👍🏽", "CREDIT_CARD:4111111111111111")
    }

    func testConfidenceThresholdAndDisabledTypes() {
        var d = Detector(threshold: 0.99)
        XCTAssertTrue(d.detect("call (415) 555-2671").isEmpty, "phones score below 0.99")
        d = Detector(disabled: [.person])
        XCTAssertTrue(d.detect("Laura Becker").isEmpty)
    }

    func testCustomRecognizer() throws {
        let employee = try CustomRecognizer(name: "employee", type: EntityType("EMPLOYEE_ID"), pattern: "EMP-[0-9]{6}", context: ["employee"])
        let luhn = try CustomRecognizer(name: "account", type: EntityType("ACCOUNT"), pattern: "ACC[0-9]{8}", validator: .luhn)
        let d = Detector(custom: [employee, luhn])
        let text = "employee EMP-123456" + String(repeating: " filler", count: 12) + " EMP-654321" + String(repeating: " filler", count: 6)
            + " ACC00000018 ACC00000019"
        let spans = d.detect(text).map { ($0.type.name, $0.start) }
        XCTAssertEqual(spans.map(\.0), ["EMPLOYEE_ID", "ACCOUNT"])
        XCTAssertThrowsError(try CustomRecognizer(name: "bad", type: EntityType("X"), pattern: "(unclosed"))
    }

    /// A custom pattern's leading literal lets texts without it skip the regular expression; it must be a run
    /// that every match contains, or the skip would lose matches.
    func testCustomRecognizersKnowTheLiteralEveryMatchContains() throws {
        let cases: [(String, String?)] = [
            ("EMP-[0-9]{6}", "EMP-"), (#"EMP-\d{6}"#, "EMP-"), ("ACC[0-9]{8}", "ACC"), (#"v\.1\.\d+"#, "v.1."),
            ("EMP-?[0-9]+", "EMP"), ("ab*c", "a"), ("ab{2}", "a"), ("a+b", "a"), ("x", "x"),
            ("EMP|ACC", nil), ("(EMP)-1", nil), ("[A-Z]{3}-1", nil), ("^EMP", nil), ("(?i)emp-1", nil), (#"\d{4}EMP"#, nil),
            ("a?b", nil), ("é-1", nil), (#"\bEMP"#, nil), ("x[|]y|z", nil), (#"a\|b"#, "a|b"),
        ]
        for (pattern, literal) in cases {
            XCTAssertEqual(CustomRecognizer.requiredLiteral(of: pattern).map { String(decoding: $0, as: UTF8.self) }, literal, pattern)
        }
        for (text, literal, expected) in [("xxEMP-", "EMP-", true), ("EEMP-", "EMP-", true), ("EMP-", "EMP-", true), ("EMP", "EMP-", false),
                                          ("EM-P EMP", "EMP-", false), ("", "E", false), ("aaab", "ab", true)] {
            XCTAssertEqual(Array(text.utf8).withUnsafeBufferPointer { CustomRecognizer.contains($0, Array(literal.utf8)) }, expected, text)
        }
        // The skip changes nothing that the expression finds.
        let optional = try CustomRecognizer(name: "ticket", type: EntityType("TICKET"), pattern: "TK-?[0-9]{5}")
        let d = Detector(custom: [optional])
        XCTAssertEqual(d.detect("tickets TK12345 and TK-54321, not TX-11111").map(\.start), [8, 20])
        XCTAssertTrue(d.detect("no ticket here 12345").isEmpty)
    }
}
