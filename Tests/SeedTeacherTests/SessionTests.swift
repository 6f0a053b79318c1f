import Foundation
@testable import SeedTeacher
import SeedTeacherStub
import XCTest

final class SessionTests: StubTestCase {
    func testRetriesThroughEveryTransientFaultAndLedgersEachAttempt() async throws {
        let s = try session()
        _ = try await s.answer(chat("after the probe"))
        stub.script([.rateLimited(retryAfterMs: 5), .serverError, .cutMidBody, .malformedJSON, .vllmError(status: 503)])
        let answer = try await s.answer(chat("persist"))
        XCTAssertFalse(answer.fromCache)
        XCTAssertEqual(s.counters.snapshot.retries, 5)
        let all = try s.store.ledger()
        XCTAssertEqual(all.count, 8, "the probe, the first answer, five failures and the answer")
        let ledger = Array(all.suffix(6))
        XCTAssertEqual(ledger.map(\.status), ["http 429 rate_limit_exceeded", "http 500", "transport", "malformed", "http 503 503", "ok"])
        XCTAssertEqual(ledger.last?.requestSHA256, answer.requestHash)
        XCTAssertEqual(ledger.last?.servedModel, "fake-teacher")
        XCTAssertEqual(ledger.last?.systemFingerprint, "fp_stub")
        XCTAssertEqual(ledger.last?.terms, "example-terms")
        XCTAssertEqual(ledger.last?.host, "127.0.0.1:\(stub.port)")
        // Refused attempts cost nothing; cut and malformed answers may have been billed and keep their reservation.
        XCTAssertEqual(ledger[0].costNano, 0)
        XCTAssertEqual(ledger[1].costNano, 0)
        XCTAssertGreaterThan(ledger[2].costNano, 0)
        XCTAssertGreaterThan(ledger[3].costNano, 0)
        XCTAssertEqual(ledger[4].costNano, 0)
        let budget = try s.store.budget("default")
        XCTAssertEqual(budget.spentNano, all.map(\.costNano).reduce(0, +))
        XCTAssertEqual(budget.reservedNano, 0)
        XCTAssertEqual(budget.outstanding, 0)
        await s.shutdown()
    }

    func testFailedAnswersAreNeverCachedAndGoodOnesReplayWithTheirTime() async throws {
        var t = teacher()
        t.maxRetries = 0
        let s = try session(t)
        _ = try await s.answer(chat("warm the probe"))
        stub.script([.cutMidBody])
        do {
            _ = try await s.answer(chat("cut"))
            XCTFail("a cut answer with no retries left must fail")
        } catch TeacherError.retriesExhausted {}
        let fresh = try await s.answer(chat("cut"))
        XCTAssertFalse(fresh.fromCache)
        await stub.stop()
        let replay = try await s.answer(chat("cut"))
        XCTAssertTrue(replay.fromCache)
        XCTAssertEqual(replay.created, fresh.created)
        XCTAssertEqual(replay.response.choices, fresh.response.choices)
        XCTAssertEqual(replay.requestHash, fresh.requestHash)
        await s.shutdown()
    }

    func testInsufficientQuotaStopsAtOnceWithoutRetrying() async throws {
        let s = try session()
        _ = try await s.answer(chat("probe first"))
        stub.script([.insufficientQuota])
        do {
            _ = try await s.answer(chat("no money"))
            XCTFail("expected insufficient_quota")
        } catch TeacherError.insufficientQuota {}
        let before = stub.stats.requests
        do {
            _ = try await s.answer(chat("another"))
            XCTFail("the session must stay stopped")
        } catch TeacherError.insufficientQuota {}
        XCTAssertEqual(stub.stats.requests, before, "no request after the quota stop")
        XCTAssertEqual(s.counters.snapshot.retries, 0)
        await s.shutdown()
    }

    func testNonRetryableErrorsAreNotRetried() async throws {
        let s = try session()
        _ = try await s.answer(chat("probe first"))
        stub.script([.vllmError(status: 400)])
        do {
            _ = try await s.answer(chat("bad"))
            XCTFail("expected 400")
        } catch TeacherError.api(400, _) {}
        XCTAssertEqual(s.counters.snapshot.retries, 0)
        await s.shutdown()
    }

    func testRateLimitCoolDownHoldsEveryWorker() async throws {
        let s = try session()
        _ = try await s.answer(chat("probe first"))
        stub.script([.rateLimited(retryAfterMs: 300)])
        let start = Date()
        let first = Task { try await s.answer(self.chat("limited")) }
        try await Task.sleep(nanoseconds: 100_000_000)
        // Sent while the first worker cools down: without the shared cool-down it would be answered at once.
        _ = try await s.answer(chat("second"))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.29)
        _ = try await first.value
        await s.shutdown()
    }

    func testProbeRefusesParametersTheServerIgnores() async throws {
        stub.behaviour.supportsN = false
        let s = try session()
        do {
            _ = try await s.answer(chat("two please") { $0.n = 2 })
            XCTFail("n=2 on a server without n")
        } catch TeacherError.unsupported(_, let reason) {
            XCTAssertTrue(reason.contains("n=2"), reason)
        }
        stub.behaviour.maxTopLogprobs = 2
        do {
            _ = try await s.answer(chat("logprobs") { $0.topLogprobs = 5; $0.logprobs = true })
            XCTFail("top_logprobs 5 on a server that gives 2")
        } catch TeacherError.unsupported(_, let reason) {
            XCTAssertTrue(reason.contains("at most 2"), reason)
        }
        stub.behaviour.ignoresResponseFormat = true
        do {
            _ = try await s.answer(chat("json") { $0.responseFormat = ["type": "json_object"] })
            XCTFail("response_format ignored")
        } catch TeacherError.unsupported {}
        stub.behaviour.supportsEcho = false
        var s8 = Sampling()
        s8.maxTokens = 8
        do {
            _ = try await s.answer(TeacherRequest.completion(model: "fake-teacher", prompt: "Once", sampling: s8, echo: true))
            XCTFail("echo ignored")
        } catch TeacherError.unsupported(_, let reason) {
            XCTAssertTrue(reason.contains("echo"), reason)
        }
        stub.behaviour.models = ["another-model"]
        let other = try session()
        do {
            _ = try await other.answer(chat("who"))
            XCTFail("model not served")
        } catch TeacherError.unsupported(_, let reason) {
            XCTAssertTrue(reason.contains("another-model"), reason)
        }
        await s.shutdown()
        await other.shutdown()
    }

    func testProbeRunsOncePerKindOfRequest() async throws {
        let s = try session()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<20 { group.addTask { _ = try await s.answer(self.chat("prompt \(k)")) } }
            try await group.waitForAll()
        }
        XCTAssertEqual(stub.stats.requests, 21, "20 answers and one probe")
        await s.shutdown()
    }

    /// Without the key nothing leaves (a clear error at the first request that would), but answers
    /// already in the cache still come: a finished job reruns offline.
    func testMissingAPIKeyIsAClearErrorOnlyWhenARequestMustLeave() async throws {
        let store = try TeacherStore(path: path("t.sqlite"))
        let keyed = try session(store: store)
        _ = try await keyed.answer(chat("cached already"))
        await keyed.shutdown()
        stub.resetStats()
        try store.openBudget("default", limitNano: nil, limitTokens: nil)
        let keyless = try TeacherSession(config: teacher(), store: store, budgetName: "default", environment: [:])
        defer { Task { await keyless.shutdown() } }
        let replay = try await keyless.answer(chat("cached already"))
        XCTAssertTrue(replay.fromCache)
        do {
            _ = try await keyless.answer(chat("never asked"))
            XCTFail("an uncached request needs the key")
        } catch {
            XCTAssertEqual(error as? TeacherError, .missingAPIKey(variable: "TEACHER_KEY", teacher: "local"))
        }
        XCTAssertEqual(stub.stats.requests, 0)
    }
}
