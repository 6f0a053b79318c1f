import Foundation
@testable import SeedPrivacy
import XCTest

final class ResumeTests: PrivacyTestCase {
    struct Stop: Error {}

    /// Stops a run right after its `k`-th progress save, as a kill would, with a torn line written after it.
    func interruptedRun(_ files: PrivacyStream.Files, options: StreamOptions, afterSave k: Int) throws {
        var saves = 0
        let checkpointing = PrivacyStream.Checkpointing(interval: 0) { _ in
            saves += 1
            if saves == k { throw Stop() }
        }
        XCTAssertThrowsError(try PrivacyStream.desensitize(files, policy: PrivacyPolicy(), vault: try vault(), key: key, options: options,
                                                           checkpointing: checkpointing)) { XCTAssertTrue($0 is Stop) }
        let torn = FileHandle(forWritingAtPath: files.output)!
        torn.seekToEndOfFile()
        torn.write(Data(#"{"i": 99999, "t": "<EMAIL_"#.utf8))
        try torn.close()
    }

    func testResumeLosesAndRepeatsNoLine() throws {
        let lines = (0..<600).map { $0 % 50 == 7 ? "not json \($0)" : #"{"i": \#($0), "t": "user\#($0 % 91)@example.com or +44 20 7946 \#(1000 + $0)"}"# }
        let input = try write("in", lines.joined(separator: "\n") + "\n")
        var options = StreamOptions()
        options.batchBytes = 512
        options.onError = .skip
        for threads in [1, 2] {
            options.threads = threads
            let files = PrivacyStream.Files(input: input, output: path("out\(threads)"), rejects: path("rejects\(threads)"), resume: true)
            try interruptedRun(files, options: options, afterSave: 5)
            XCTAssertNotNil(try StreamCheckpoint.load(StreamCheckpoint.path(output: files.output)))
            let summary = try PrivacyStream.desensitize(files, policy: PrivacyPolicy(), vault: try vault(), key: key, options: options)
            XCTAssertLessThan(summary.records, 600 - 12, "the resumed run starts after the saved batches")
            XCTAssertNil(try StreamCheckpoint.load(StreamCheckpoint.path(output: files.output)), "a finished run removes its progress file")
            let out = try read("out\(threads)").split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            XCTAssertEqual(out.count, 588)
            XCTAssertEqual(out.map { Int($0.split(separator: ",")[0].dropFirst(6))! }, (0..<600).filter { $0 % 50 != 7 })
            XCTAssertEqual(try read("rejects\(threads)"), (0..<600).filter { $0 % 50 == 7 }.map { "not json \($0)\n" }.joined())
            let restored = try Restorer(vault: try vault()).restore(text: out.joined(separator: "\n"))
            XCTAssertEqual(restored, lines.filter { !$0.hasPrefix("not") }.joined(separator: "\n"))
        }
    }

    func testResumeRefusesAnotherInput() throws {
        let input = try write("in", (0..<100).map { #"{"t": "a\#($0)@example.com"}"# }.joined(separator: "\n"))
        var options = StreamOptions()
        options.batchBytes = 256
        let files = PrivacyStream.Files(input: input, output: path("out"), resume: true)
        try interruptedRun(files, options: options, afterSave: 2)
        _ = try write("in", "{}\n")
        XCTAssertThrowsError(try PrivacyStream.desensitize(files, policy: PrivacyPolicy(), vault: try vault(), key: key, options: options)) {
            XCTAssertTrue("\($0)".contains("--resume"), "\($0)")
        }
        var again = files
        again.resume = false
        XCTAssertEqual(try PrivacyStream.desensitize(again, policy: PrivacyPolicy(), vault: try vault(), key: key, options: options).records, 1)
        XCTAssertEqual(try read("out"), "{}\n")
    }
}
