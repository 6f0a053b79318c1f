@testable import SeedPrivacy
import XCTest

final class RestoreTests: PrivacyTestCase {
    func testToleratesReformattedSurrogates() throws {
        let store = try vault()
        let d = try Desensitizer(vault: store, key: key)
        XCTAssertEqual(try d.desensitize(text: "mail a@example.com, card 4111 1111 1111 1111"), "mail <EMAIL_1>, card <CREDIT_CARD_1>")
        let r = try Restorer(vault: store)
        let cases = [
            "<EMAIL_1>": "a@example.com", "<email_1>": "a@example.com", "EMAIL_1>": "a@example.com", "<EMAIL_1": "a@example.com",
            "EMAIL_1": "a@example.com", "(<EMAIL_1>)": "(a@example.com)", "[EMAIL_1]": "a@example.com", "«EMAIL_1»": "a@example.com",
            "&lt;EMAIL_1&gt;": "a@example.com", "<Email-1>": "a@example.com", "<credit card 1>": "4111 1111 1111 1111",
            "{{CREDIT_CARD_1}}": "4111 1111 1111 1111", "＜EMAIL_1＞。": "a@example.com。", "\"<EMAIL_1>\",": "\"a@example.com\",",
            // Not surrogates, or unknown ones: left alone.
            "EMAIL 1": "EMAIL 1", "<EMAIL_2>": "<EMAIL_2>", "EMAILS_1": "EMAILS_1", "(EMAIL-1)": "(EMAIL-1)",
        ]
        for (answer, expected) in cases {
            XCTAssertEqual(try r.restore(text: "x \(answer) y"), "x \(expected) y", answer)
        }
    }

    /// restore(desensitize(x)) == x on every record of the labelled corpus, numbered and realistic.
    func testRoundTripOnTheCorpus() throws {
        for realistic in [false, true] {
            let store = try vault(realistic ? "realistic.sqlite" : "numbered.sqlite")
            var policy = PrivacyPolicy()
            policy.realistic = realistic
            let d = try Desensitizer(policy: policy, vault: store, key: key)
            var generator = LabelledCorpusGenerator(seed: 7, split: .tuning)
            var desensitized: [(String, String, Bool?)] = []
            for _ in 0..<400 {
                let record = generator.next()
                let entities = record.texts.flatMap(\.spans).filter { !$0.isDecoy }
                // PERSON is best effort (recall about 0.9): a record whose only entities are names may pass unchanged.
                let changes: Bool? = entities.isEmpty ? false : entities.contains { $0.type != EntityType.person.name } ? true : nil
                desensitized.append((record.jsonLine, try d.desensitize(jsonLine: record.jsonLine), changes))
            }
            let r = try Restorer(vault: store)
            var byteIdentical = 0
            for (original, output, changes) in desensitized {
                if let changes { XCTAssertEqual(original != output, changes, original) }
                let restored = try r.restore(jsonLine: output)
                assertSameJSON(restored, original)
                if restored == original {
                    byteIdentical += 1
                } else {
                    // Only a line that shows no way of writing characters beyond ASCII (its only ones were in
                    // the originals) may come back with other bytes: the originals raw.
                    XCTAssertFalse(output.utf8.contains { $0 >= 0x80 }, output)
                    XCTAssertEqual(Array(output.utf8).withUnsafeBufferPointer { JSONEscapes.nonASCIIStyle(of: $0) }, .raw, output)
                }
            }
            XCTAssertGreaterThan(byteIdentical, 390, "realistic: \(realistic)")
        }
    }

    /// Python's `json.dumps` escapes every character beyond ASCII by default: restored originals are written
    /// the same way, in the case the line uses, so that the round trip gives back the very bytes.
    func testRestoredOriginalsAreEscapedTheWayTheirLineIs() throws {
        let store = try vault()
        let d = try Desensitizer(vault: store, key: key)
        let r = try Restorer(vault: store)
        let lines = [
            #"{"text": "Alice M\u00fcller (t\u00e9l. +33 6 12 34 56 78) \u00e9crit depuis st\u00e9phanie.schmidt@gmail.com \ud83d\ude42"}"#,
            #"{"text": "T\u00C9L +33 6 12 34 56 78, st\u00C9phanie.schmidt@gmail.com"}"#,
            #"{"text": "\u6536\u4ef6\u4eba\uff1a\u7530\u6842\uff0c\u90ae\u7bb1 \u7530\u6842@example.cn"}"#,
            #"{"text": "Alice Müller (tél. +33 6 12 34 56 78) écrit depuis stéphanie.schmidt@gmail.com 🙂"}"#,
        ]
        for line in lines {
            let output = try d.desensitize(jsonLine: line)
            XCTAssertNotEqual(output, line)
            XCTAssertEqual(try r.restore(jsonLine: output), line)
        }
        // The only character beyond ASCII was in the original: nothing says how the line writes them.
        let bare = #"{"text": "mail st\u00e9phanie@example.com"}"#
        let restored = try r.restore(jsonLine: try d.desensitize(jsonLine: bare))
        XCTAssertEqual(restored, #"{"text": "mail stéphanie@example.com"}"#)
    }
}

final class RealisticMatcherTests: XCTestCase {
    /// The matcher's lengths per first four bytes: short ones as bits (4 to 67 bytes), long ones in a list,
    /// every candidate tried longest first, only as whole tokens; the table answers by exact text.
    func testFindsTheLongestWholeSurrogateOfAnyLength() {
        let long = "sk-" + String(repeating: "a", count: 65)              // 68 bytes: the first long length
        let longer = long + String(repeating: "b", count: 52)           // 120 bytes, same prefix
        let atLimit = "sk-" + String(repeating: "a", count: 64)         // 67 bytes: the last short length
        let surrogates = ["2001:db8::1", "2001:db8::12", "Ashgrove", "Ash", long, longer, atLimit, "李娜"]
        var builder = RealisticTable.Builder()
        for (k, s) in surrogates.enumerated() { builder.append(type: .secret, surrogate: Array(s.utf8), original: ArraySlice(Array("original \(k)".utf8))) }
        let table = RealisticTable(builder)
        let matcher = RealisticMatcher(table)
        for (k, s) in surrogates.enumerated() {
            XCTAssertEqual(table.original(of: Array(s.utf8))?.original, Array("original \(k)".utf8), s)
        }
        XCTAssertNil(table.original(of: Array("2001:db8::2".utf8)))

        func found(_ text: String) -> [String] {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBufferPointer { b in matcher.find(b).map { String(decoding: b[$0.start..<$0.end], as: UTF8.self) } }
        }
        XCTAssertEqual(found("key \(longer), \(long). \(atLimit)"), [longer, long, atLimit])
        XCTAssertEqual(found("ip 2001:db8::12 and 2001:db8::1."), ["2001:db8::12", "2001:db8::1"])
        XCTAssertEqual(found("Ashgrove Ashgroves xAshgrove 2001:db8::123"), ["Ashgrove"], "whole tokens only")
        XCTAssertEqual(found(long + "c"), [], "a longer token is not a surrogate")
        XCTAssertEqual(found("Ash 李娜"), ["李娜"], "surrogates under four bytes (Ash) are not searched; 李娜 is six")
        XCTAssertEqual(found(""), [])
    }
}
