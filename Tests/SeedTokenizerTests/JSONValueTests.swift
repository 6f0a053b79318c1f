import Foundation
import XCTest
@testable import SeedTokenizer

final class JSONValueTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { try JSONValue.parse(UnsafeBufferPointer($0)) }
    }

    func testValuesAndNesting() throws {
        let value = try parse(#" {"a": [1, -2.5e-1, true, false, null, {"b": "c"}], "d": {}, "e": []} "#)
        XCTAssertEqual(value["a"]?.array?.count, 6)
        XCTAssertEqual(value["a"]?.array?[0].int, 1)
        XCTAssertEqual(value["a"]?.array?[1], .number(-0.25))
        XCTAssertNil(value["a"]?.array?[1].int, "a fraction is not an integer")
        XCTAssertEqual(value["a"]?.array?[5]["b"]?.string, "c")
        XCTAssertEqual(value["d"], .object([:]))
        XCTAssertEqual(value["e"], .array([]))
    }

    func testStringEscapesMatchFoundation() throws {
        let text = #"["plain", "q\"b\\s\/n\nr\rt\tb\bf\f", "\u00e9\u4e2d", "\ud83d\ude00 emoji", "Ġt 中"]"#
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String]
        XCTAssertEqual(try parse(text).array!.map { $0.string! }, foundation)
        XCTAssertEqual(try parse(#""lone \ud800 surrogate""#).string, "lone \u{FFFD} surrogate")
    }

    func testSyntaxErrorsSayWhere() {
        for (text, reason) in [("[1, 2", "expected ',' or ']'"), (#"{"a" 1}"#, "expected ':'"), (#"{1: 2}"#, "key must be a string"),
                               (#""abc"#, "never ends"), ("[tru]", "unknown literal"), ("[1] 2", "after the JSON value"),
                               ("\"a\u{01}\"", "control character"), (#""\x""#, "unknown escape"), ("", "ends where a value"),
                               (String(repeating: "[", count: 600), "nesting")] {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue((error as? JSONValue.SyntaxError)?.reason.contains(reason) == true, "\(text): \(error)")
            }
        }
    }
}
