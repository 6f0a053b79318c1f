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

    private func style(_ line: String) -> JSONEscapes.NonASCIIStyle {
        Array(line.utf8).withUnsafeBufferPointer { JSONEscapes.nonASCIIStyle(of: $0) }
    }

    private func escaped(_ text: String, _ style: JSONEscapes.NonASCIIStyle) -> String {
        var out: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { JSONEscapes.appendEscaped($0, to: &out, nonASCII: style) }
        return String(decoding: out, as: UTF8.self)
    }

    func testALineShowsHowItWritesCharactersBeyondASCII() {
        XCTAssertEqual(style(#"{"t": "caf\u00e9"}"#), .escaped(upperCase: false))
        XCTAssertEqual(style(#"{"t": "CAF\u00C9"}"#), .escaped(upperCase: true))
        XCTAssertEqual(style(#"{"t": "\u7530 \u00E9"}"#), .escaped(upperCase: true), "the first escape with a hex letter sets the case")
        XCTAssertEqual(style(#"{"t": "\u7530\u4e2d"}"#), .escaped(upperCase: false))
        XCTAssertEqual(style(#"{"t": "\u7530"}"#), .escaped(upperCase: false), "no hex letter: lower case, as Python writes")
        XCTAssertEqual(style(#"{"t": "café \u00e9"}"#), .raw, "a raw byte beyond ASCII wins")
        XCTAssertEqual(style(#"{"t": "plain \u0041 \n"}"#), .raw, "escapes of ASCII show nothing")
        XCTAssertEqual(style(#"{"t": "a\\u00e9"}"#), .raw, "an escaped backslash then text is no escape")
        XCTAssertEqual(style(#"{"t": "a\\\u00e9"}"#), .escaped(upperCase: false))
        XCTAssertEqual(style(""), .raw)
        XCTAssertEqual(style(#"{"t": "cut \u00"#), .raw)
    }

    func testReplacementsFollowTheLinesStyle() {
        let text = "Müller 田桂 😀 \"q\" \n\u{01}"
        XCTAssertEqual(escaped(text, .raw), #"Müller 田桂 😀 \"q\" \n\u0001"#)
        XCTAssertEqual(escaped(text, .escaped(upperCase: false)), #"M\u00fcller \u7530\u6842 \ud83d\ude00 \"q\" \n\u0001"#)
        XCTAssertEqual(escaped(text, .escaped(upperCase: true)), #"M\u00FCller \u7530\u6842 \uD83D\uDE00 \"q\" \n\u0001"#)
        XCTAssertEqual(escaped("<EMAIL_1>", .escaped(upperCase: false)), "<EMAIL_1>")
        XCTAssertEqual(unescape(escaped(text, .escaped(upperCase: false))), text, "what is escaped reads back the same")
        // Bytes that are not UTF-8 (a stray continuation byte, a truncated sequence, an encoded surrogate) cannot
        // be escaped: they are copied, and the characters around them still are escaped.
        var out: [UInt8] = []
        [0x80, 0xC3, 0xA9, 0xE4, 0xB8, 0x20, 0xED, 0xA0, 0x80].withUnsafeBufferPointer { JSONEscapes.appendEscaped($0, to: &out, nonASCII: .escaped(upperCase: false)) }
        XCTAssertEqual(out, [0x80] + Array(#"\u00e9"#.utf8) + [0xE4, 0xB8, 0x20, 0xED, 0xA0, 0x80])
    }
}
