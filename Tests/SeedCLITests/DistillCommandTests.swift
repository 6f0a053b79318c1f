import Foundation
import SeedTeacherStub
import XCTest

/// End-to-end tests of `seed distill` and `seed provenance` against a stub teacher in this process.
final class DistillCommandTests: SeedCommandTestCase {
    var stub: StubTeacher!

    override func setUp() async throws {
        stub = StubTeacher()
        try await stub.start()
    }

    override func tearDown() async throws { await stub.stop() }

    /// The issue's smallest job, as written, with the stub's port.
    func smallestJob(budget: String = "0.05", allowsTraining: Bool = true, maxInFlight: Int = 16) -> String {
        """
        teachers:
          local:
            base_url: http://127.0.0.1:\(stub.port)/v1
            api_key_env: TEACHER_KEY
            model: fake-teacher
            prices: {input_per_million: 1.0, output_per_million: 2.0}
            limits: {requests_per_minute: 6000, max_in_flight: \(maxInFlight)}
            terms: {id: example-terms, url: https://example.com/terms, allows_training: \(allowsTraining)}
        budget: {usd: \(budget)}
        job:
          source: {prompts: prompts.jsonl}      # one {"prompt": "..."} or {"messages": [...]} per line
          generate: {teacher: local, temperature: 0.7, max_tokens: 64}
          output: distilled.jsonl
        """
    }

    func prepare(prompts: Int, job: String) throws {
        let lines = (0..<prompts).map { "{\"prompt\": \"Prompt \($0): what is a river?\"}" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path("prompts.jsonl"), atomically: true, encoding: .utf8)
        try job.write(toFile: path("job.yaml"), atomically: true, encoding: .utf8)
    }

    func launchDistill(key: String? = "sk-test") throws -> (Process, Pipe, Pipe) { try launchDistillArguments([], key: key) }

    func launchDistillArguments(_ extra: [String], key: String? = "sk-test") throws -> (Process, Pipe, Pipe) {
        // Run from "/": paths must resolve against the job file, not the working folder.
        try launch(["distill", "--config", path("job.yaml")] + extra, environment: ["TEACHER_KEY": key], directory: URL(fileURLWithPath: "/"))
    }

    func distill(key: String? = "sk-test") throws -> Result { finish(try launchDistill(key: key)) }

    func output() throws -> String { try String(contentsOfFile: path("distilled.jsonl"), encoding: .utf8) }

    func testSmallestJobAsWrittenThenARerunWithoutRequests() throws {
        try prepare(prompts: 25, job: smallestJob())
        let r = try distill()
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("distilled: 25 records written (25 in distilled.jsonl), 26 requests sent, 0 cache hits, spent $0.00"), r.stdout)
        XCTAssertTrue(r.stdout.contains("of $0.050000)"), r.stdout)
        let first = try output()
        XCTAssertEqual(first.split(separator: "\n").count, 25)
        stub.resetStats()
        // The rerun needs no key: every answer is in the cache.
        let again = try distill(key: nil)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(stub.stats.requests, 0)
        XCTAssertTrue(again.stdout.contains("0 records written (25 in distilled.jsonl), 0 requests sent"), again.stdout)
        XCTAssertEqual(try output(), first)

        let provenance = try seed("provenance", path("distilled.jsonl"), "--check", "train")
        XCTAssertEqual(provenance.status, 0, provenance.stderr)
        XCTAssertTrue(provenance.stdout.contains("25  teacher local, model fake-teacher at 127.0.0.1:\(stub.port); terms example-terms https://example.com/terms: training allowed"),
                      provenance.stdout)
    }

    func testProvenanceCheckNamesRecordsWhoseTermsForbidTraining() throws {
        try prepare(prompts: 3, job: smallestJob(allowsTraining: false))
        XCTAssertEqual(try distill().status, 0)
        let r = try seed("provenance", path("distilled.jsonl"), "--check", "train")
        assertOneLineError(r, containing: "3 records under terms example-terms, which forbid training (lines 1, 2, 3)")
        XCTAssertTrue(r.stdout.contains("training forbidden"), r.stdout)
    }

    func testMissingKeyAndBadConfigAreOneLineErrors() throws {
        try prepare(prompts: 2, job: smallestJob())
        assertOneLineError(try distill(key: nil), containing: "the environment variable TEACHER_KEY (its api_key_env) is not set")
        try smallestJob().replacingOccurrences(of: "temperature: 0.7", with: "temperature: hot").write(toFile: path("job.yaml"), atomically: true, encoding: .utf8)
        assertOneLineError(try distill(), containing: #"job.generate.temperature: expected a number, got "hot""#)
        try (smallestJob() + "\n  concurrency: 3\n").write(toFile: path("job.yaml"), atomically: true, encoding: .utf8)
        assertOneLineError(try distill(), containing: "job.concurrency: unknown key")
        XCTAssertEqual(stub.stats.requests, 0)
        assertOneLineError(try seed("distill", "--config", path("missing.yaml")), containing: "cannot read the job file")
    }

    func testBudgetStopExitsNonZeroAndKeepsRecords() throws {
        stub.behaviour.worstCaseUsage = true
        try prepare(prompts: 40, job: smallestJob(budget: "0.002"))
        let r = try distill()
        assertOneLineError(r, containing: "budget reached: spent $0.00")
        XCTAssertTrue(r.stdout.hasPrefix("distilled: "), r.stdout)
        let kept = try output().split(separator: "\n").count
        XCTAssertGreaterThan(kept, 3)
        XCTAssertLessThan(kept, 40)
    }

    func testQuotaStopExitsNonZero() throws {
        stub.script([.insufficientQuota])
        try prepare(prompts: 5, job: smallestJob())
        assertOneLineError(try distill(), containing: "the teacher's quota is exhausted")
    }

    /// kill -9 at several moments, then a rerun: every record exactly once, in order, and no more requests
    /// sent twice than were in flight.
    func testKillNineThenRerunLosesAndDuplicatesNothing() throws {
        // Slow enough answers and a last kill well before the end: with 10 ms and a kill at record 250 the
        // rest of a run took about 30 ms, and on a loaded machine the job once finished before the kill.
        stub.behaviour.latency = 0.03
        let prompts = 300, inFlight = 16
        // Each kill leaves up to 16 reservations that the rerun must charge in full: room for them.
        try prepare(prompts: prompts, job: smallestJob(budget: "1.0", maxInFlight: inFlight))
        for (trial, killAfter) in [10, 120, 200].enumerated() {
            let (process, out, err) = try launchDistill()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let lines = (try? output())?.split(separator: "\n").count ?? 0
                if lines >= killAfter || !process.isRunning { break }
                usleep(2000)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            _ = out.fileHandleForReading.readDataToEndOfFile()
            _ = err.fileHandleForReading.readDataToEndOfFile()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): the job finished before the kill")
        }
        let r = try distill()
        XCTAssertEqual(r.status, 0, r.stderr)
        let records = try output().split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let asked = records.map { (($0["messages"] as! [[String: Any]]).first!["content"] as! String) }
        XCTAssertEqual(asked, (0..<prompts).map { "Prompt \($0): what is a river?" })
        let answeredTwice = stub.stats.answersByPrompt.filter { $0.key.hasPrefix("Prompt ") && $0.value > 1 }
        XCTAssertLessThanOrEqual(answeredTwice.values.reduce(0) { $0 + $1 - 1 }, 3 * inFlight, "re-sent only what was in flight at each kill")
    }

    func testExportBatchAndBenchTeacher() throws {
        try prepare(prompts: 4, job: smallestJob())
        let (process, out, err) = try launchDistillArguments(["--export-batch", path("batch")])
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(stdout.hasPrefix("exported 4 requests in 1 shards to"), stdout)
        XCTAssertEqual(try String(contentsOfFile: path("batch/batch-00000.jsonl"), encoding: .utf8).split(separator: "\n").count, 4)
        XCTAssertEqual(stub.stats.requests, 0)

        let bench = try seed("bench", "teacher", "--requests", "100", "--in-flight", "8", "--sequential", "50", "--no-peer", "--json")
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let figures = try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as! [String: Any]
        for key in ["client_p50_ms", "client_requests_per_s", "pipeline_p50_ms", "pipeline_requests_per_s", "replay_requests_per_s"] {
            XCTAssertGreaterThan(figures[key] as? Double ?? 0, 0, key)
        }
    }

    /// Two `seed distill` processes with different prompts spend one budget (the same state folder) at
    /// the same time: together they never pass it.
    func testTwoProcessesShareOneBudget() throws {
        stub.behaviour.worstCaseUsage = true
        stub.behaviour.latency = 0.002
        for name in ["a", "b"] {
            let lines = (0..<200).map { "{\"prompt\": \"Job \(name) prompt \($0): what is a lake?\"}" }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path("\(name).jsonl"), atomically: true, encoding: .utf8)
            let job = smallestJob(budget: "0.01")
                .replacingOccurrences(of: "prompts.jsonl", with: "\(name).jsonl")
                .replacingOccurrences(of: "output: distilled.jsonl", with: "output: \(name)-out.jsonl\n  state: shared-state")
            try job.write(toFile: path("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        let runs = try ["a", "b"].map { try launch(["distill", "--config", path("\($0).yaml")], environment: ["TEACHER_KEY": "sk-test"]) }
        var spent: [Double] = []
        var records = 0
        for run in runs {
            let r = finish(run)
            let (stdout, stderr) = (r.stdout, r.stderr)
            XCTAssertEqual(r.status, 1, stderr)
            XCTAssertTrue(stderr.contains("budget reached"), stderr)
            // "(budget $0.009871 of $0.010000)"
            let figure = try XCTUnwrap(stdout.range(of: "(budget $").map { stdout[$0.upperBound...].prefix { $0 != " " } })
            spent.append(try XCTUnwrap(Double(figure)))
        }
        for name in ["a", "b"] { records += try String(contentsOfFile: path("\(name)-out.jsonl"), encoding: .utf8).split(separator: "\n").count }
        XCTAssertLessThanOrEqual(spent.max()!, 0.01)
        XCTAssertGreaterThan(spent.max()!, 0.009, "all but the last request's worth is used")
        XCTAssertGreaterThan(records, 30)
        XCTAssertLessThan(records, 400)
    }
}
