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

    /// Batches reuse the buffers of earlier ones (inputs once processed, outputs once written): lines of
    /// very different lengths, some longer than a batch, come out exactly as a single batch makes them.
    func testReusedBatchBuffersChangeNothing() throws {
        var rng = SplitMix(seed: 7)
        let lines = (0..<400).map { k -> String in
            let words = (0..<Int(rng.next() % 120)).map { w in w % 17 == 3 ? "user\(k % 23)@example.com" : "word\(w)" }
            return #"{"k": \#(k), "t": "\#(words.joined(separator: " "))"}"#
        }
        let input = lines.joined(separator: "\n") + "\n"
        _ = try desensitize(input, threads: 1, batchBytes: 1 << 24)
        let single = try read("out")
        for batchBytes in [64, 300, 2000] {
            try FileManager.default.removeItem(atPath: path("vault.sqlite"))
            let summary = try desensitize(input, threads: 2, batchBytes: batchBytes)
            XCTAssertEqual(summary.records, 400)
            let out = try read("out").split(separator: "\n", omittingEmptySubsequences: false)
            let expected = single.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(out.count, expected.count)
            // Two threads may number the surrogates in another order: compare with the numbers masked.
            let mask = { (s: Substring) in s.replacingOccurrences(of: #"<EMAIL_\d+>"#, with: "<EMAIL>", options: .regularExpression) }
            XCTAssertEqual(out.map(mask), expected.map(mask), "batch size \(batchBytes)")
        }
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


