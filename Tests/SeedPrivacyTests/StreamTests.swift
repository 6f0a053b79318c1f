import SeedPrivacy
import XCTest

final class StreamTests: PrivacyTestCase {
    func desensitize(_ input: String, onError: BadLinePolicy = .stop, threads: Int = 2, format: StreamFormat = .jsonl,
                     batchBytes: Int = 256) throws -> StreamSummary {
        var options = StreamOptions()
        options.onError = onError
        options.threads = threads
        options.format = format
        options.batchBytes = batchBytes
        return try PrivacyStream.desensitize(.init(input: try write("in", input), output: path("out"), rejects: path("rejects")),
                                             policy: PrivacyPolicy(), vault: try vault(), key: key, options: options)
    }

    func testOrderIsKeptAcrossThreadsAndBatches() throws {
        let lines = (0..<500).map { #"{"i": \#($0), "t": "user\#($0 % 37)@example.com"}"# }
        let summary = try desensitize(lines.joined(separator: "\n") + "\n")
        let out = try read("out").split(separator: "\n").map(String.init)
        XCTAssertEqual(out.count, 500)
        XCTAssertEqual(summary.records, 500)
        XCTAssertEqual(summary.counts[.email], 500)
        for (k, line) in out.enumerated() {
            XCTAssertTrue(line.hasPrefix(#"{"i": \#(k), "t": "<EMAIL_"#), line)
        }
        XCTAssertEqual(Set(out.map { $0.split(separator: ":").last! }).count, 37, "one surrogate per distinct value")
    }

    func testBadLineStopsWithItsNumberAndKeepsEarlierOutput() throws {
        let lines = (1...300).map { $0 == 123 ? "{broken" : #"{"n": \#($0)}"# }
        XCTAssertThrowsError(try desensitize(lines.joined(separator: "\n"))) { error in
            guard case PrivacyError.badLine(line: 123, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasPrefix("line 123:"))
        }
        let out = try read("out").split(separator: "\n").map(String.init)
        XCTAssertEqual(out, (1...122).map { #"{"n": \#($0)}"# })
    }

    func testSkipWritesBadLinesToRejects() throws {
        let lines = (1...50).map { $0 % 10 == 0 ? "not json \($0)" : #"{"n": \#($0)}"# }
        let summary = try desensitize(lines.joined(separator: "\n") + "\n", onError: .skip)
        XCTAssertEqual(summary.rejected, 5)
        XCTAssertEqual(summary.rejectedLines, [10, 20, 30, 40, 50])
        XCTAssertEqual(try read("rejects"), (1...5).map { "not json \($0 * 10)\n" }.joined())
        XCTAssertEqual(try read("out").split(separator: "\n").count, 45)
    }

    func testBlankLinesAndCRLFPassThrough() throws {
        _ = try desensitize("{\"t\": \"a@example.com\"}\r\n\n{\"t\": 1}\n")
        XCTAssertEqual(try read("out"), "{\"t\": \"<EMAIL_1>\"}\r\n\n{\"t\": 1}\n")
    }

    func testPlainTextMode() throws {
        let text = "Hi, I am at a@example.com.\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nbye 13812345678\n"
        let summary = try desensitize(text, format: .text, batchBytes: 1 << 20)
        XCTAssertEqual(try read("out"), "Hi, I am at <EMAIL_1>.\n<SECRET_1>\nbye <PHONE_1>\n")
        XCTAssertEqual(summary.counts.values.reduce(0, +), 3)
    }
}

