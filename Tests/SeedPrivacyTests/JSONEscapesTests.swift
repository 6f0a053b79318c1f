@testable import SeedPrivacy
import XCTest

/// Unescaping a JSON string body into the text that detection reads.
final class JSONEscapesTests: XCTestCase {
    private func unescape(_ raw: String) -> String? {
        var out: [UInt8] = [9, 9, 9]  // leftovers from an earlier value must not survive
        let bytes = Array(raw.utf8)
        let ok = bytes.withUnsafeBufferPointer { JSONEscapes.unescape($0, into: &out) }
        return ok ? String(decoding: out, as: UTF8.self) : nil
    }

    func testEveryEscapeFormAndRunsBetweenThem() {
        XCTAssertEqual(unescape(""), "")
        XCTAssertEqual(unescape("plain text, no escapes"), "plain text, no escapes")
        XCTAssertEqual(unescape(#"a\"b\\c\/d\be\ff\ng\rh\ti"#), "a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti")
        XCTAssertEqual(unescape(#"\u4f60\u597d, caf\u00e9 \u0040 \u0000!"#), "你好, café @ \u{0}!")
        XCTAssertEqual(unescape(#"x\ud83d\ude00y"#), "x😀y", "a surrogate pair is one scalar")
        XCTAssertEqual(unescape(#"\ud83d lone"#), "\u{FFFD} lone", "a lone surrogate becomes U+FFFD")
        XCTAssertEqual(unescape(#"\ude00"#), "\u{FFFD}")
        XCTAssertEqual(unescape("raw 你好 \\u4f60"), "raw 你好 你")
    }

    func testMalformedEscapesAreRejected() {
        for bad in [#"\"#, #"\x"#, #"\u12"#, #"\u12g4"#, #"abc\"#] { XCTAssertNil(unescape(bad), bad) }
    }
}
