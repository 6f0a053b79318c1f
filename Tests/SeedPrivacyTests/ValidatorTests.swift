@testable import SeedPrivacy
import XCTest

final class ValidatorTests: XCTestCase {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testLuhn() {
        XCTAssertTrue(Checksums.luhn(bytes("4111111111111111")))
        XCTAssertTrue(Checksums.luhn(bytes("79927398713")))
        XCTAssertFalse(Checksums.luhn(bytes("4111111111111112")))
        XCTAssertFalse(Checksums.luhn(bytes("7")))
        XCTAssertEqual(Checksums.luhnCheckDigit(bytes("7992739871")), UInt8(ascii: "3"))
    }

    func testIBANMod97() {
        XCTAssertTrue(Checksums.ibanMod97(bytes("DE89370400440532013000")))
        XCTAssertTrue(Checksums.ibanMod97(bytes("GB82WEST12345698765432")))
        XCTAssertFalse(Checksums.ibanMod97(bytes("DE89370400440532013001")))
        XCTAssertEqual(Checksums.ibanCheckDigits(country: bytes("DE"), bban: bytes("370400440532013000")), bytes("89"))
    }

    func testGB11643() {
        XCTAssertTrue(Checksums.gb11643(bytes("11010519491231002X")))
        XCTAssertTrue(Checksums.gb11643(bytes("11010519491231002x")))
        XCTAssertTrue(Checksums.gb11643(bytes("440524188001010014")))
        XCTAssertFalse(Checksums.gb11643(bytes("440524188001010015")))
        XCTAssertTrue(IdentifierRules.isValidCNID(bytes("11010519491231002X")))
        // Valid check character but no such province (99) or date (February 30).
        var fake = bytes("99010519491231002")
        fake.append(Checksums.gb11643CheckCharacter(fake))
        XCTAssertFalse(IdentifierRules.isValidCNID(fake))
        var badDate = bytes("11010519490230002")
        badDate.append(Checksums.gb11643CheckCharacter(badDate))
        XCTAssertFalse(IdentifierRules.isValidCNID(badDate))
    }

    func testVerhoeff() {
        XCTAssertTrue(Checksums.verhoeff(bytes("2363")))
        XCTAssertFalse(Checksums.verhoeff(bytes("2364")))
        XCTAssertEqual(Checksums.verhoeffCheckDigit(bytes("236")), UInt8(ascii: "3"))
        var payload = bytes("23456789012")
        payload.append(Checksums.verhoeffCheckDigit(payload))
        XCTAssertTrue(Checksums.verhoeff(payload))
    }

    func testSSNRules() {
        XCTAssertTrue(IdentifierRules.isValidSSN(area: 536, group: 22, serial: 1234))
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 0, group: 22, serial: 1234))
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 666, group: 22, serial: 1234))
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 900, group: 22, serial: 1234), "9xx areas are ITINs, not SSNs")
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 536, group: 0, serial: 1234))
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 536, group: 22, serial: 0))
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 78, group: 5, serial: 1120), "the Woolworth wallet number")
        XCTAssertFalse(IdentifierRules.isValidSSN(area: 111, group: 11, serial: 1111))
    }

    func testNINOPrefixes() {
        XCTAssertTrue(IdentifierRules.isValidNINOPrefix(UInt8(ascii: "A"), UInt8(ascii: "B")))
        for bad in ["ZZ", "GB", "BG", "NK", "KN", "TN", "NT", "DA", "AO", "QA", "AV"] {
            let b = bytes(bad)
            XCTAssertFalse(IdentifierRules.isValidNINOPrefix(b[0], b[1]), bad)
        }
    }

    func testCardSchemes() {
        XCTAssertTrue(IdentifierRules.isPlausibleCardNumber(bytes("4111111111111111")))
        XCTAssertTrue(IdentifierRules.isPlausibleCardNumber(bytes("2221000000000009")), "Mastercard 2-series")
        XCTAssertTrue(IdentifierRules.isPlausibleCardNumber(bytes("378282246310005")), "Amex")
        XCTAssertTrue(IdentifierRules.isPlausibleCardNumber(bytes("675900000000")), "Maestro 12")
        XCTAssertFalse(IdentifierRules.isPlausibleCardNumber(bytes("2023051200123")), "13 digits starting 20")
        XCTAssertFalse(IdentifierRules.isPlausibleCardNumber(bytes("9111111111111111")))
    }

    func testShannonEntropy() {
        var same = bytes("aaaaaaaa"), mixed = bytes("a1B2c3D4e5F6g7H8")
        XCTAssertEqual(same.withUnsafeMutableBufferPointer { shannonEntropy($0.baseAddress!, $0.count) }, 0)
        XCTAssertEqual(mixed.withUnsafeMutableBufferPointer { shannonEntropy($0.baseAddress!, $0.count) }, 4, accuracy: 1e-9)
    }
}
