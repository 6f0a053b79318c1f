@testable import SeedPrivacy
import XCTest

final class OperatorTests: PrivacyTestCase {
    func apply(_ op: String, _ type: EntityType, _ value: String) throws -> String {
        String(decoding: try Operator(parsing: op).apply(to: Array(value.utf8), type: type, key: key), as: UTF8.self)
    }

    func testRedactAndMask() throws {
        XCTAssertEqual(try apply("redact", .email, "a@b.com"), "[EMAIL]")
        XCTAssertEqual(try apply("mask", .phone, "13812345678"), "138****5678")
        XCTAssertEqual(try apply("mask", .creditCard, "4111111111111234"), "************1234")
        XCTAssertEqual(try apply("mask:0:4", .creditCard, "4111 1111 1111 1234"), "**** **** **** 1234")
        XCTAssertEqual(try apply("mask", .email, "john.smith@example.com"), "j***.*****@example.com")
        XCTAssertEqual(try apply("mask", .cnID, "11010519491231002X"), "110105********002X")
        XCTAssertEqual(try apply("mask", .person, "张伟强"), "张**")
        XCTAssertEqual(try apply("mask:3:4", .phone, "12345"), "12345", "head and tail overlap: nothing to mask")
        XCTAssertEqual(try apply("mask", .email, "no-at-sign"), "n*-**-****")
        XCTAssertEqual(try apply("mask:1:1", .person, "Zoë Ng"), "Z** *g")
        XCTAssertEqual(String(decoding: Operator.mask(Array("ab".utf8) + [0xE4, 0xB8], head: 0, tail: 0, type: .person), as: UTF8.self), "***",
                       "a character cut short at the end counts as one")
        XCTAssertThrowsError(try Operator(parsing: "mask:x"))
        XCTAssertThrowsError(try Operator(parsing: "shred"))
    }

    func testHashIsKeyedAndDeterministic() throws {
        let a = try apply("hash", .phone, "13812345678"), b = try apply("hash", .phone, "13812345678")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 16)
        let other = String(decoding: Operator.hash(hexDigits: 16).apply(to: Array("13812345678".utf8), type: .phone,
                                                                         key: try VaultKey(bytes: Array(repeating: 7, count: 32))), as: UTF8.self)
        XCTAssertNotEqual(a, other, "another key gives another hash")
    }

    /// Realistic surrogates pass the validators of their type and are recognized as that type again.
    func testRealisticSurrogatesPassTheirValidators() {
        let detector = Detector()
        let samples: [(EntityType, String)] = [
            (.creditCard, "4111 1111 1111 1111"), (.iban, "DE89 3704 0044 0532 0130 00"), (.cnID, "11010519491231002X"),
            (.usSSN, "536-22-1234"), (.ukNINO, "AB 12 34 56 C"), (.phone, "+49 30 12345678"), (.phone, "138 1234 5678"),
            (.phone, "(415) 555-2671"), (.email, "a@example.com"), (.ipv4, "192.168.0.1"), (.ipv6, "fe80::1"), (.mac, "00:1A:2B:3C:4D:5E"),
            (.secret, "ghp_" + String(repeating: "a1B2", count: 9)), (.secret, "AKIAIOSFODNN7EXAMPLE"),
        ]
        for seed: UInt64 in 1...50 {
            for (type, original) in samples {
                let fake = RealisticSurrogates.make(type: type, like: Array(original.utf8), seed: seed)
                let text = String(decoding: fake, as: UTF8.self)
                XCTAssertNotEqual(text, original)
                XCTAssertEqual(detector.detect("x \(text) y").map(\.type), [type], "\(type): \(text)")
            }
        }
        var aadhaar = Array("23456789012".utf8)
        aadhaar.append(Checksums.verhoeffCheckDigit(aadhaar))
        let fake = RealisticSurrogates.make(type: .inAadhaar, like: aadhaar, seed: 3)
        XCTAssertTrue(Checksums.verhoeff(fake))
    }
}
