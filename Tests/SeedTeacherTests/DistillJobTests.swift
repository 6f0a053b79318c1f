import Foundation
@testable import SeedTeacher
import SeedTeacherStub
import XCTest

final class DistillJobTests: StubTestCase {
    func testSmallestJobWritesChatRecordsWithProvenanceAndRerunsFromTheCache() async throws {
        try writePrompts(40)
        let first = try await runJob(jobYAML())
        XCTAssertNil(first.stoppedBy)
        XCTAssertEqual(first.recordsWritten, 40)
        XCTAssertEqual(first.counters.requests, 41, "40 answers and the probe")
        let records = try records()
        XCTAssertEqual(records.count, 40)
        for (k, r) in records.enumerated() {
            XCTAssertEqual(r["messages"]?.array?.first?["content"]?.string, "Question number \(k) about rivers", "prompt order is kept")
            XCTAssertEqual(r["messages"]?.array?.last?["role"], "assistant")
            let seed = try XCTUnwrap(r["seed"])
            XCTAssertEqual(seed["teacher"], "local")
            XCTAssertEqual(seed["model"], "fake-teacher")
            XCTAssertEqual(seed["base_url_host"]?.string, "127.0.0.1:\(stub.port)")
            XCTAssertEqual(seed["terms"], ["id": "example-terms", "url": "https://example.com/terms", "allows_training": true])
            XCTAssertEqual(seed["request_sha256"]?.string?.count, 64)
            XCTAssertNotNil(seed["created"]?.string)
        }
        XCTAssertEqual(Set(records.map { $0["seed"]!["request_sha256"]! }).count, 40)
        let bytes = try read("distilled.jsonl")

        // A finished job reruns without a request and without a new byte.
        stub.resetStats()
        let again = try await runJob(jobYAML())
        XCTAssertEqual(again.recordsWritten, 0)
        XCTAssertEqual(stub.stats.requests, 0)
        XCTAssertEqual(try read("distilled.jsonl"), bytes)

        // From scratch with the teacher switched off: everything replays from the cache, byte for byte.
        await stub.stop()
        try FileManager.default.removeItem(atPath: path("distilled.jsonl"))
        let replay = try await runJob(jobYAML())
        XCTAssertEqual(replay.counters.cacheHits, 40)
        XCTAssertEqual(replay.counters.requests, 0)
        XCTAssertEqual(try read("distilled.jsonl"), bytes)
    }

    func testEveryRecordExactlyOnceThroughFaultsWithManyWorkers() async throws {
        try writePrompts(300)
        stub.behaviour.faultRate = 0.2
        stub.behaviour.latency = 0.005
        stub.behaviour.randomFaults = [.rateLimited(retryAfterMs: 2), .serverError, .cutMidBody, .malformedJSON, .vllmError(status: 502)]
        let summary = try await runJob(jobYAML(teacherExtra: "retry_base_s: 0.001\n    max_retries: 40", maxInFlight: 64))
        XCTAssertNil(summary.stoppedBy)
        XCTAssertGreaterThan(summary.counters.retries, 20)
        let records = try records()
        XCTAssertEqual(records.map { $0["messages"]!.array!.first!["content"]!.string! }, (0..<300).map { "Question number \($0) about rivers" })
        // The stub answered each prompt once: no answer was paid for twice.
        XCTAssertEqual(stub.stats.answersByPrompt.filter { $0.key.hasPrefix("Question") }.values.max(), 1)
        XCTAssertGreaterThan(stub.stats.maxInFlight, 8)
    }

    func testResumeAfterATornWriteLosesAndRepeatsNothing() async throws {
        try writePrompts(30)
        _ = try await runJob(jobYAML())
        let full = try read("distilled.jsonl")
        let lines = full.split(separator: "\n", omittingEmptySubsequences: false)
        // As a kill -9 may leave it: 12 whole records and half of the 13th.
        let torn = lines.prefix(12).joined(separator: "\n") + "\n" + String(lines[12].prefix(40))
        try torn.write(toFile: path("distilled.jsonl"), atomically: true, encoding: .utf8)
        stub.resetStats()
        let resumed = try await runJob(jobYAML())
        XCTAssertEqual(resumed.recordsWritten, 18)
        XCTAssertEqual(stub.stats.requests, 0, "every answer was in the cache")
        XCTAssertEqual(try read("distilled.jsonl"), full)
    }

    func testAnOutputFromAnotherJobIsNotAppendedTo() async throws {
        try writePrompts(3)
        try write("distilled.jsonl", "{\"seed\": {\"request_sha256\": \"abc\"}}\n")
        do {
            _ = try await runJob(jobYAML())
            XCTFail("expected a refusal")
        } catch TeacherError.io(_, let reason) {
            XCTAssertTrue(reason.contains("1 of its requests are not this job's"), reason)
        }
    }

    func testBudgetStopKeepsFinishedRecordsAndARaisedBudgetFinishes() async throws {
        try writePrompts(50)
        stub.behaviour.worstCaseUsage = true
        let stopped = try await runJob(jobYAML(budget: "{usd: 0.002}"))
        guard case .budgetExhausted? = stopped.stoppedBy else { return XCTFail("\(String(describing: stopped.stoppedBy))") }
        XCTAssertLessThanOrEqual(stopped.budgetSpentUSD, 0.002)
        XCTAssertGreaterThan(stopped.recordsWritten, 5)
        XCTAssertLessThan(stopped.recordsWritten, 50)
        let kept = try records()
        let finished = try await runJob(jobYAML(budget: "{usd: 0.05}"))
        XCTAssertNil(finished.stoppedBy)
        let all = try records()
        XCTAssertEqual(all.count, 50)
        XCTAssertEqual(Array(all.prefix(kept.count)), kept)
    }

    func testQuotaStopsTheJob() async throws {
        try writePrompts(20)
        stub.script([.insufficientQuota])
        let s = try await runJob(jobYAML())
        guard case .insufficientQuota? = s.stoppedBy else { return XCTFail("\(String(describing: s.stoppedBy))") }
    }

    func testBadPromptLineNamesItsLine() async throws {
        try write("prompts.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n")
        do {
            _ = try await runJob(jobYAML())
            XCTFail("expected a bad line")
        } catch let error as TeacherError {
            XCTAssertEqual(error, .badInput(path: path("prompts.jsonl"), line: 2, reason: "expected {\"prompt\": \"...\"} or {\"messages\": [...]}"))
        }
    }

    func testChatRecordsSamplesStreamingAndLogprobs() async throws {
        try write("prompts.jsonl", """
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a river"}, {"role": "assistant", "content": "old answer"}]}

            """)
        _ = try await runJob(jobYAML(generate: "{teacher: local, max_tokens: 32, samples: 2, n: 2, stream: true, top_logprobs: 2}"))
        let records = try records()
        XCTAssertEqual(records.count, 4, "2 samples × 2 choices")
        XCTAssertEqual(records[0]["messages"]?.array?.count, 3, "system, user, the new answer")
        XCTAssertEqual(records[0]["messages"]?.array?.last?["content"]?.string?.hasPrefix("Answer 0 to: Name a river"), true)
        XCTAssertEqual(records[1]["seed"]?["choice"], 1)
        XCTAssertEqual(records[0]["seed"]?["request_sha256"], records[1]["seed"]?["request_sha256"])
        XCTAssertNotEqual(records[0]["seed"]?["request_sha256"], records[2]["seed"]?["request_sha256"])
        let token = try XCTUnwrap(records[0]["logprobs"]?.array?.first)
        XCTAssertEqual(token["top_logprobs"]?.array?.count, 2)
        XCTAssertNotNil(token["bytes"]?.array)
    }

    func testJudgeDropsLowScores() async throws {
        try writePrompts(30)
        let s = try await runJob(jobYAML(extraJob: "  judge: {teacher: local, threshold: 6}"))
        let records = try records()
        XCTAssertEqual(records.count + s.droppedByJudge, 30)
        XCTAssertGreaterThan(s.droppedByJudge, 0)
        XCTAssertGreaterThan(records.count, 0)
        for r in records { XCTAssertGreaterThanOrEqual(r["judge"]?["score"]?.double ?? 0, 6) }
        XCTAssertEqual(Judge.parseScore("Score: 8/10"), 8)
        XCTAssertEqual(Judge.parseScore("8.5."), 8.5)
        XCTAssertEqual(Judge.parseScore("no idea"), 0)
    }

    func testSelfInstructMakesDistinctTasksAndReplays() async throws {
        try write("seeds.jsonl", (0..<10).map { "{\"instruction\": \"Describe the seed task number \($0) in plain words\"}" }.joined(separator: "\n"))
        let yaml = jobYAML().replacingOccurrences(of: "source: {prompts: prompts.jsonl}", with: "source: {self_instruct: {seeds: seeds.jsonl, count: 12, teacher: local}}")
        _ = try await runJob(yaml)
        let records = try records()
        XCTAssertEqual(records.count, 12)
        let tasks = records.map { $0["messages"]!.array!.first!["content"]!.string! }
        XCTAssertEqual(Set(tasks).count, 12)
        for t in tasks { XCTAssertTrue(t.hasPrefix("Explain how"), t) }
        let bytes = try read("distilled.jsonl")
        await stub.stop()
        try FileManager.default.removeItem(atPath: path("distilled.jsonl"))
        _ = try await runJob(yaml)
        XCTAssertEqual(try read("distilled.jsonl"), bytes)
    }

    func testEvolveInstructRewritesPrompts() async throws {
        try writePrompts(4)
        let yaml = jobYAML().replacingOccurrences(of: "source: {prompts: prompts.jsonl}", with: "source: {evolve: {prompts: prompts.jsonl, teacher: local, rounds: 2}}")
        _ = try await runJob(yaml)
        let prompts = try records().map { $0["messages"]!.array!.first!["content"]!.string! }
        XCTAssertEqual(prompts.count, 4)
        XCTAssertEqual(prompts[0], "Question number 0 about rivers Explain each step and give one example. Explain each step and give one example.")
    }

    func testBatchExportAndImportFillTheSameCacheAndLedger() async throws {
        try writePrompts(7)
        let exportJob = try job(jobYAML())
        let export = try await exportJob.exportBatch(directory: path("batch"), maxLines: 3)
        await exportJob.shutdown()
        XCTAssertEqual(export.requests, 7)
        XCTAssertEqual(export.files.count, 3)
        XCTAssertEqual(stub.stats.requests, 0)
        // Play the provider: answer every line (in reverse order, as the Batch API does not keep order).
        var output = ""
        for file in export.files {
            for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
                let request = try JSONValue.parse(String(line))
                XCTAssertEqual(request["url"], "/v1/chat/completions")
                XCTAssertEqual(request["method"], "POST")
                let prompt = request["body"]!["messages"]!.array!.last!["content"]!.string!
                let body: JSONValue = ["id": "batch", "object": "chat.completion", "model": "fake-teacher-2026",
                                       "choices": [["index": 0, "message": ["role": "assistant", "content": .string("batch answer to \(prompt)")], "finish_reason": "stop"]],
                                       "usage": ["prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15]]
                let out: JSONValue = ["id": "batch_req_1", "custom_id": request["custom_id"]!, "response": ["status_code": 200, "request_id": "r", "body": body], "error": .null]
                output = out.canonical + "\n" + output
            }
        }
        try write("batch-output.jsonl", output)
        let importJob = try job(jobYAML())
        let imported = try await importJob.importBatch(files: [path("batch-output.jsonl")])
        XCTAssertEqual(imported.answers, 7)
        XCTAssertEqual(imported.spentUSD, 7 * Double(Prices(inputPerMillion: 1, outputPerMillion: 2).nanoUSD(prompt: 10, completion: 5, batch: true)) / 1e9, accuracy: 1e-12)
        let summary = try await importJob.run()
        await importJob.shutdown()
        XCTAssertEqual(summary.counters.cacheHits, 7)
        XCTAssertEqual(stub.stats.requests, 0, "everything came from the batch")
        let records = try records()
        XCTAssertEqual(records.first?["messages"]?.array?.last?["content"], "batch answer to Question number 0 about rivers")
        XCTAssertEqual(records.first?["seed"]?["model"], "fake-teacher-2026")
        let ledger = try importJob.store.ledger()
        XCTAssertEqual(ledger.filter { $0.mode == "batch" }.count, 7)
        XCTAssertEqual(Set(ledger.map(\.requestSHA256)), Set(records.map { $0["seed"]!["request_sha256"]!.string! }))
    }

    func testPrivacyDesensitizesWhatLeavesAndRestoresTheAnswer() async throws {
        try write("prompts.jsonl", "{\"prompt\": \"Write to alice@example.com about the report\"}\n")
        let yaml = jobYAML() + "\nprivacy: {vault: vault.sqlite}\n"
        _ = try await runJob(yaml)
        let sent = try XCTUnwrap(stub.stats.lastBodies.last)
        XCTAssertFalse(sent.contains("alice@example.com"), sent)
        XCTAssertTrue(sent.contains("<EMAIL_1>"), sent)
        let record = try XCTUnwrap(try records().first)
        let messages = try XCTUnwrap(record["messages"]?.array)
        XCTAssertEqual(messages.first?["content"], "Write to alice@example.com about the report")
        // The stub echoes the prompt's head, surrogate included; the record has the original back.
        XCTAssertEqual(messages.last?["content"]?.string?.contains("alice@example.com"), true, "\(messages)")
    }

    func testProvenanceReport() throws {
        let allowed = #"{"messages": [], "seed": {"teacher": "a", "model": "m1", "base_url_host": "h", "terms": {"id": "open", "url": "u", "allows_training": true}, "request_sha256": "x", "created": "t"}}"#
        let forbidden = #"{"messages": [], "seed": {"teacher": "b", "model": "m2", "base_url_host": "h", "terms": {"id": "nc", "url": "u", "allows_training": false}, "request_sha256": "y", "created": "t"}}"#
        try write("mixed.jsonl", [allowed, forbidden, allowed, "{\"text\": \"no provenance\"}", forbidden].joined(separator: "\n"))
        let report = try ProvenanceReport.read(path: path("mixed.jsonl"))
        XCTAssertEqual(report.records, 5)
        XCTAssertEqual(report.sources.values.sorted(), [2, 2])
        XCTAssertEqual(report.trainingViolation,
                       "2 records under terms nc, which forbid training (lines 2, 5); 1 records without seed provenance, whose terms are unknown (lines 4)")
        try write("clean.jsonl", allowed + "\n" + allowed + "\n")
        XCTAssertNil(try ProvenanceReport.read(path: path("clean.jsonl")).trainingViolation)
    }
}
