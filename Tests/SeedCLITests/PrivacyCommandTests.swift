import Foundation
import XCTest

/// End-to-end tests of `seed desensitize` and `seed restore` on tiny data.
final class PrivacyCommandTests: SeedCommandTestCase {
    let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()

    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func launch(_ arguments: [String], key: String?, stdin: FileHandle? = nil) throws -> (Process, Pipe, Pipe) {
        try launch(arguments, environment: ["SEED_VAULT_KEY": key], stdin: stdin ?? FileHandle.nullDevice)
    }

    func seed(_ arguments: String..., key: String?) throws -> Result { finish(try launch(arguments, key: key)) }

    func assertExitsWithOneLineError(_ r: Result, containing texts: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        for text in texts { XCTAssertTrue(r.stderr.contains(text), "expected '\(text)' in: \(r.stderr)", file: file, line: line) }
    }

    let records = """
        {"id": 1, "text": "Mail john.smith@example.com or call +49 30 12345678.", "score": 0.5}
        {"messages": [{"role": "user", "content": "Card 4111 1111 1111 1111, \\u5f20\\u4f1f\\u5148\\u751f, IBAN DE89 3704 0044 0532 0130 00"}]}
        {"id": 3, "text": "again john.smith@example.com", "tags": ["a", 2, null]}

        """

    func testDesensitizeThenRestoreRoundTrips() throws {
        let input = try write("in.jsonl", records)
        let d = try seed("desensitize", "--input", input, "--out", path("out.jsonl"), "--vault", path("v.sqlite"), "--report", path("d.json"), key: key)
        XCTAssertEqual(d.status, 0, d.stderr)
        let out = try read("out.jsonl")
        XCTAssertFalse(out.contains("john.smith"))
        XCTAssertTrue(out.contains(#""text": "again <EMAIL_1>", "tags": ["a", 2, null]}"#), out)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("d.json")))) as! [String: Any]
        XCTAssertEqual((report["entities"] as! [String: Int])["EMAIL"], 2)
        XCTAssertEqual(report["records"] as? Int, 3)

        // Restore from standard input to standard output.
        let restore = try launch(["restore", "--vault", path("v.sqlite"), "--report", path("r.json")], key: key,
                                 stdin: FileHandle(forReadingAtPath: path("out.jsonl")))
        let r = finish(restore)
        XCTAssertEqual(r.status, 0, r.stderr)
        try r.stdout.write(toFile: path("back.jsonl"), atomically: true, encoding: .utf8)
        let back = try read("back.jsonl").split(separator: "\n").map(String.init)
        let original = records.split(separator: "\n").map(String.init)
        XCTAssertEqual(back.count, original.count)
        for (a, b) in zip(back, original) {
            let x = try JSONSerialization.jsonObject(with: Data(a.utf8)) as! NSObject
            let y = try JSONSerialization.jsonObject(with: Data(b.utf8)) as! NSObject
            XCTAssertEqual(x, y)
        }
    }

    func testRestoreReadsStandardInputAndTextMode() throws {
        let input = try write("in.txt", "write to a@example.com\n")
        XCTAssertEqual(try seed("desensitize", "--format", "text", "--input", input, "--out", path("out.txt"), "--vault", path("v.sqlite"), key: key).status, 0)
        XCTAssertEqual(try read("out.txt"), "write to <EMAIL_1>\n")
        let answer = try write("answer.txt", "I wrote to <email_1> and [EMAIL-1].\n")
        let r = try seed("restore", "--format", "text", "--input", answer, "--vault", path("v.sqlite"), key: key)
        XCTAssertEqual(r.stdout, "I wrote to a@example.com and a@example.com.\n", r.stderr)
    }

    func testMissingKeyIsOneLineNamingBothWays() throws {
        let input = try write("in.jsonl", records)
        assertExitsWithOneLineError(try seed("desensitize", "--input", input, "--vault", path("v.sqlite"), key: nil), containing: "SEED_VAULT_KEY", "--key-file")
        assertExitsWithOneLineError(try seed("desensitize", "--input", input, key: key), containing: "--vault")
        assertExitsWithOneLineError(try seed("desensitize", "--input", input, "--vault", path("v.sqlite"), "--operator", "PHONE=shred", key: key), containing: "shred")
    }

    func testKeyFileAndWrongKey() throws {
        let input = try write("in.jsonl", records)
        let keyFile = try write("key.txt", String(repeating: "ab", count: 32) + "\n")
        XCTAssertEqual(try seed("desensitize", "--input", input, "--out", path("o"), "--vault", path("v.sqlite"), "--key-file", keyFile, key: nil).status, 0)
        assertExitsWithOneLineError(try seed("restore", "--input", path("o"), "--vault", path("v.sqlite"), key: key), containing: "another key")
    }

    func testBadLineStopsOrGoesToRejects() throws {
        let input = try write("in.jsonl", "{\"t\": \"a@example.com\"}\n{\"t\": oops}\n{\"t\": \"b@example.com\"}\n")
        let stop = try seed("desensitize", "--input", input, "--out", path("out.jsonl"), "--operator", "ALL=redact", key: nil)
        assertExitsWithOneLineError(stop, containing: "line 2:", "--on-error skip")
        XCTAssertEqual(try read("out.jsonl"), "{\"t\": \"[EMAIL]\"}\n")
        let skip = try seed("desensitize", "--input", input, "--out", path("out.jsonl"), "--operator", "ALL=redact", "--on-error", "skip", key: nil)
        XCTAssertEqual(skip.status, 0, skip.stderr)
        XCTAssertEqual(try read("out.jsonl"), "{\"t\": \"[EMAIL]\"}\n{\"t\": \"[EMAIL]\"}\n")
        XCTAssertEqual(try read("out.jsonl.rejects.jsonl"), "{\"t\": oops}\n")
    }

    func testOperatorsFieldsAndPolicy() throws {
        let input = try write("in.jsonl", #"{"a": "call 13812345678", "b": "call 13812345678", "c": "EMP-123456"}"# + "\n")
        let policy = try write("policy.yaml", """
            default_operator: redact
            operators: {PHONE: "mask"}
            recognizers:
              - name: employee
                type: EMPLOYEE_ID
                pattern: 'EMP-[0-9]{6}'
                operator: redact
            """)
        let r = try seed("desensitize", "--input", input, "--policy", policy, "--fields", "a,c", key: nil)
        XCTAssertEqual(r.stdout, #"{"a": "call 138****5678", "b": "call 13812345678", "c": "[EMPLOYEE_ID]"}"# + "\n", r.stderr)
        let bad = try write("bad.yaml", "thresold: 0.3\n")
        assertExitsWithOneLineError(try seed("desensitize", "--input", input, "--policy", bad, key: nil), containing: "thresold")
    }

    /// Two processes write one vault at the same time and agree on every surrogate.
    func testTwoProcessesShareAVault() throws {
        let lines = (0..<3000).map { #"{"t": "user\#($0 % 500)@example.com"}"# }
        let a = try write("a.jsonl", lines.joined(separator: "\n") + "\n")
        let b = try write("b.jsonl", lines.reversed().joined(separator: "\n") + "\n")
        let first = try launch(["desensitize", "--input", a, "--out", path("a.out"), "--vault", path("v.sqlite")], key: key)
        let second = try launch(["desensitize", "--input", b, "--out", path("b.out"), "--vault", path("v.sqlite")], key: key)
        let (ra, rb) = (finish(first), finish(second))
        XCTAssertEqual(ra.status, 0, ra.stderr)
        XCTAssertEqual(rb.status, 0, rb.stderr)
        let outA = try read("a.out").split(separator: "\n"), outB = try read("b.out").split(separator: "\n")
        XCTAssertEqual(Array(outA), Array(outB.reversed()))
        XCTAssertEqual(Set(outA).count, 500)
    }

    /// kill -9 in the middle of a run: every surrogate already written restores, and `--resume` finishes
    /// the job with every input line in the output exactly once.
    func testKillNineThenResume() throws {
        let lines = (0..<150_000).map { #"{"i": \#($0), "t": "mail user\#($0 % 5000)@example.com, call +44 20 7946 \#(1000 + $0 % 9000)"}"# }
        let input = try write("in.jsonl", lines.joined(separator: "\n") + "\n")
        let arguments = ["desensitize", "--vault", path("v.sqlite"), "--input", input, "--out", path("out.jsonl"), "--resume"]
        let running = try launch(arguments, key: key)
        let deadline = Date().addingTimeInterval(20)
        while running.0.isRunning, !FileManager.default.fileExists(atPath: path("out.jsonl.progress.json")), Date() < deadline { usleep(2000) }
        let killed = running.0.isRunning
        if killed { kill(running.0.processIdentifier, SIGKILL) }
        _ = finish(running)
        if killed {
            let partial = try seed("restore", "--vault", path("v.sqlite"), "--format", "text", "--input", path("out.jsonl"), "--out", path("partial.txt"), key: key)
            XCTAssertEqual(partial.status, 0, partial.stderr)
            XCTAssertFalse(partial.stderr.contains("not in the vault"), partial.stderr)
        }
        let resumed = try seed(arguments[0], arguments[1], arguments[2], arguments[3], arguments[4], arguments[5], arguments[6], arguments[7], key: key)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.jsonl.progress.json")))
        let restored = try seed("restore", "--vault", path("v.sqlite"), "--input", path("out.jsonl"), "--out", path("back.jsonl"), key: key)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try read("back.jsonl"), lines.joined(separator: "\n") + "\n")
    }
}
