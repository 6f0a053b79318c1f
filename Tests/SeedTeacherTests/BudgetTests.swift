import Foundation
import SeedPrivacy
import GRDB
@testable import SeedTeacher
import SeedTeacherStub
import XCTest

final class BudgetTests: StubTestCase {
    /// Many randomised runs, 64 workers each, split over two store connections to one file (as two processes
    /// would be): the spend never passes the limit, the ledger adds up to it, and when no fault interferes all
    /// but the last worst case of the budget is used.
    func testSpendNeverExceedsTheBudgetUnderConcurrency() async throws {
        var rng = SplitMix(seed: 2026)
        var usedShares: [Double] = []
        for run in 0..<16 {
            let worstCase = run % 2 == 0
            let faults = run % 4 == 3
            stub.behaviour.worstCaseUsage = worstCase
            stub.behaviour.faultRate = faults ? 0.15 : 0
            stub.behaviour.randomFaults = [.cutMidBody, .serverError, .rateLimited(retryAfterMs: 1), .malformedJSON]
            let limitNano = Int64(10_000_000 + rng.below(40_000_000))
            let prices = Prices(inputPerMillion: Double(1 + rng.below(5)), outputPerMillion: Double(1 + rng.below(10)))
            let maxTokens = 8 + rng.below(120)
            stub.resetStats()
            let file = path("budget-\(run).sqlite")
            var t = teacher(maxInFlight: 32, prices: prices)
            t.maxRetries = 50
            let a = try session(t, budgetUSD: Double(limitNano) / 1e9, store: TeacherStore(path: file))
            let b = try session(t, budgetUSD: Double(limitNano) / 1e9, store: TeacherStore(path: file))
            let lengths = (0..<4096).map { _ in 1 + rng.below(60) }
            let next = ProgressCounterForTests()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<64 {
                    group.addTask {
                        let s = worker % 2 == 0 ? a : b
                        while true {
                            let k = next.take()
                            let text = "run \(run) prompt \(k) " + String(repeating: "word ", count: lengths[k % lengths.count])
                            do {
                                _ = try await s.answer(self.chat(text, maxTokens: maxTokens))
                            } catch TeacherError.budgetExhausted {
                                return
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let state = try a.store.budget("default")
            XCTAssertLessThanOrEqual(state.spentNano, limitNano, "run \(run)")
            XCTAssertEqual(state.reservedNano, 0)
            XCTAssertEqual(state.outstanding, 0)
            let ledger = try a.store.ledger()
            XCTAssertEqual(ledger.map(\.costNano).reduce(0, +), state.spentNano)
            // Every answer was settled at the usage the server reported.
            XCTAssertEqual(ledger.compactMap(\.usage?.promptTokens).reduce(0, +), stub.stats.promptTokens)
            XCTAssertEqual(ledger.compactMap(\.usage?.completionTokens).reduce(0, +), stub.stats.completionTokens)
            if faults { XCTAssertGreaterThan(stub.stats.faults, 0) }
            let worstRequest = prices.nanoUSD(prompt: TokenBound.chat([ChatMessage(role: "user", content: "run 15 prompt 4095 " + String(repeating: "word ", count: 60))]),
                                              completion: maxTokens)
            if !faults {
                XCTAssertGreaterThanOrEqual(state.spentNano, limitNano - worstRequest, "run \(run): the budget must be usable to its last request")
            }
            usedShares.append(Double(state.spentNano) / Double(limitNano))
            await a.shutdown()
            await b.shutdown()
        }
        XCTAssertGreaterThanOrEqual(usedShares.min()!, 0.9, "\(usedShares)")
    }

    func testTokenBudgetAndAReservationThatCanNeverFit() async throws {
        let store = try TeacherStore(path: path("tokens.sqlite"))
        try store.openBudget("t", limitNano: nil, limitTokens: 100)
        guard case .reserved(let r) = try await store.reserve("t", nano: 0, tokens: 60) else { return XCTFail("60 of 100 tokens must fit") }
        guard case .wouldExceed(let s) = try await store.reserve("t", nano: 0, tokens: 60) else { return XCTFail("120 of 100 must not fit") }
        XCTAssertEqual(s.outstanding, 1)
        try await store.release(r)
        XCTAssertEqual(try store.budget("t").reservedTokens, 0)
        // A session whose one request can never fit stops with the budget error at once.
        let tiny = try session(budgetUSD: 0.000001)
        do {
            _ = try await tiny.answer(chat("too expensive"))
            XCTFail("expected the budget to stop it")
        } catch TeacherError.budgetExhausted(let reason) {
            XCTAssertTrue(reason.contains("of $0.000001"), reason)
        }
        XCTAssertEqual(stub.stats.requests, 0, "nothing is sent that could exceed the budget")
        await tiny.shutdown()
    }

    func testReservationsOfAProcessThatDiedAreCharged() throws {
        let store = try TeacherStore(path: path("dead.sqlite"))
        try store.openBudget("d", limitNano: 1000, limitTokens: nil)
        // A reservation left by a process that no longer runs (pid far above any live one).
        try store.pool.write { db in
            try db.execute(sql: "INSERT INTO reservation (budget, nano, tokens, pid) VALUES ('d', 300, 10, 2147483000)")
            try db.execute(sql: "UPDATE budget SET reserved_nano = 300, reserved_tokens = 10 WHERE name = 'd'")
        }
        try store.reclaimAbandoned("d", includingOwnProcess: false)
        let s = try store.budget("d")
        XCTAssertEqual(s.spentNano, 300)
        XCTAssertEqual(s.reservedNano, 0)
        XCTAssertEqual(s.outstanding, 0)
    }
}

final class ProgressCounterForTests: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        n += 1
        return n - 1
    }
}
