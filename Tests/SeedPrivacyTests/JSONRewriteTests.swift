import SeedPrivacy
import XCTest

/// The JSONL rewriter: only string values change, escapes are honoured both ways, bad lines are reported.
final class JSONRewriteTests: PrivacyTestCase {
    func redactor(fields: String? = nil) throws -> Desensitizer {
        var policy = PrivacyPolicy()
        try policy.setOperator("ALL=redact")
        return try Desensitizer(policy: policy, vault: nil, key: nil, fields: fields.map { try FieldSelector($0) })
    }

    func testOnlyStringValuesChangeAndTheRestIsCopiedByteForByte() throws {
        let line = #"{ "email" :"a@example.com",  "n":1.50e+3, "list":[true ,null, "x@example.org"], "nested":{"k":"keep me"} }"#
        XCTAssertEqual(try redactor().desensitize(jsonLine: line),
                       #"{ "email" :"[EMAIL]",  "n":1.50e+3, "list":[true ,null, "[EMAIL]"], "nested":{"k":"keep me"} }"#)
    }

    func testKeysAreNeverScrubbed() throws {
        let line = #"{"a@example.com": "b@example.com"}"#
        XCTAssertEqual(try redactor().desensitize(jsonLine: line), #"{"a@example.com": "[EMAIL]"}"#)
    }

    func testEscapesAreDecodedForDetectionAndKeptElsewhere() throws {
        // \u0040 is `@`; \u00e9 and a surrogate pair (emoji) around the entity; \" and \\ nearby.
        let line = #"{"t": "caf\u00e9 \"x\" john\u0040example.com \ud83d\ude00\\ 13812345678\n"}"#
        XCTAssertEqual(try redactor().desensitize(jsonLine: line), #"{"t": "caf\u00e9 \"x\" [EMAIL] \ud83d\ude00\\ [PHONE]\n"}"#)
    }

    func testReplacementsAreEscaped() throws {
        // A secret value holding a quote and a backslash goes back into JSON escaped, and restores exactly.
        let store = try vault()
        let d = try Desensitizer(vault: store, key: key)
        let line = #"{"cfg": "password='ab\"c\\d12345'"}"#
        let out = try d.desensitize(jsonLine: line)
        XCTAssertEqual(out, #"{"cfg": "password='<SECRET_1>'"}"#)
        XCTAssertEqual(try Restorer(vault: store).restore(jsonLine: out), line)
    }

    func testUntouchedStringsKeepTheirEscapesExactly() throws {
        let line = #"{"t": "\u4e2d\u6587 \/ \t no entity"}"#
        XCTAssertEqual(try redactor().desensitize(jsonLine: line), line)
    }

    func testFieldsSelectPaths() throws {
        let line = #"{"messages": [{"role": "user", "content": "a@example.com"}], "text": "b@example.com", "other": "c@example.com"}"#
        XCTAssertEqual(try redactor(fields: "messages[].content,text").desensitize(jsonLine: line),
                       #"{"messages": [{"role": "user", "content": "[EMAIL]"}], "text": "[EMAIL]", "other": "c@example.com"}"#)
        XCTAssertEqual(try redactor(fields: "messages").desensitize(jsonLine: line),
                       #"{"messages": [{"role": "user", "content": "[EMAIL]"}], "text": "b@example.com", "other": "c@example.com"}"#)
        XCTAssertThrowsError(try FieldSelector("messages[.content"))
    }

    func testKeyNamesGiveContextToSecrets() throws {
        let line = #"{"password": "Hunter2xyz!", "note": "Hunter2xyz!", "api_key": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}"#
        XCTAssertEqual(try redactor().desensitize(jsonLine: line), #"{"password": "[SECRET]", "note": "Hunter2xyz!", "api_key": "[SECRET]"}"#)
    }

    func testBadLinesAreReported() throws {
        for bad in [#"{"a": }"#, #"{"a": "b""#, #"{"a": "\x"}"#, #"{"a": 01}"#, #"[1, 2,]"#, #"{"a": 1} x"#, "{\"a\": \"tab\there\"}"] {
            XCTAssertThrowsError(try redactor().desensitize(jsonLine: bad), bad) { error in
                guard case PrivacyError.badLine(line: 1, _, _) = error else { return XCTFail("\(error)") }
            }
        }
    }
}
