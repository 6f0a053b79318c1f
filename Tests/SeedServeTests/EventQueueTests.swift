import Foundation
@testable import SeedServe
import XCTest

final class EventQueueTests: XCTestCase {
    private func data(_ text: String) -> Data { Data(text.utf8) }

    /// Events that pile up while the writer is busy come out together, in order, then the end.
    func testPendingEventsComeOutAsOneBatch() async throws {
        let queue = EventQueue()
        queue.yield(data("a"))
        queue.yield(data("b"))
        queue.yield(data("c"))
        let first = try await queue.next()
        XCTAssertEqual(first, [data("a"), data("b"), data("c")])
        queue.yield(data("d"))
        queue.finish()
        queue.yield(data("late"))
        let second = try await queue.next()
        XCTAssertEqual(second, [data("d")])
        let end = try await queue.next()
        XCTAssertNil(end)
    }

    /// A heartbeat goes out only when nothing else did since the last one, and wakes a waiting writer.
    func testHeartbeatsFillTheSilencesOnly() async throws {
        let queue = EventQueue()
        queue.yield(data("a"))
        XCTAssertTrue(queue.heartbeat())
        let first = try await queue.next()
        XCTAssertEqual(first, [data("a")], "an event went out since the last tick: no heartbeat")
        let writer = Task { try await queue.next() }
        try await Task.sleep(for: .milliseconds(20))
        XCTAssertTrue(queue.heartbeat())
        let woken = try await writer.value
        XCTAssertEqual(woken, [Data()])
        queue.finish()
        XCTAssertFalse(queue.heartbeat(), "an ended queue stops its ticker")
        let end = try await queue.next()
        XCTAssertNil(end)
    }

    /// A waiting writer wakes for the next event; a producer's error comes after the events before it.
    func testWaitingWriterWakesAndErrorsComeLast() async throws {
        let queue = EventQueue()
        let writer = Task { try await queue.next() }
        try await Task.sleep(for: .milliseconds(20))
        queue.yield(data("x"))
        let woken = try await writer.value
        XCTAssertEqual(woken, [data("x")])
        queue.yield(data("y"))
        queue.finish(throwing: APIError.internal("boom"))
        let beforeError = try await queue.next()
        XCTAssertEqual(beforeError, [data("y")])
        do {
            _ = try await queue.next()
            XCTFail("the producer's error should follow its events")
        } catch let error as APIError {
            XCTAssertTrue(String(decoding: error.json, as: UTF8.self).contains("boom"))
        }
    }

    /// A writer that is cancelled while it waits stops waiting; stopping the writer cancels the producer.
    func testCancellationBothWays() async throws {
        let queue = EventQueue()
        let writer = Task { try await queue.next() }
        try await Task.sleep(for: .milliseconds(20))
        writer.cancel()
        do {
            _ = try await writer.value
            XCTFail("a cancelled writer should stop with CancellationError")
        } catch is CancellationError {}

        let started = expectation(description: "producer started")
        let stopped = expectation(description: "producer saw cancellation")
        let produced = ServerSentEvents.produce { out in
            out.yield(Data("1".utf8))
            started.fulfill()
            do { try await Task.sleep(for: .seconds(30)) } catch { stopped.fulfill() }
        }
        await fulfillment(of: [started], timeout: 5)
        produced.cancel()
        await fulfillment(of: [stopped], timeout: 5)
    }
}
