import Foundation
@testable import SeedTeacher
import SeedTeacherStub
import XCTest

final class ClientTests: StubTestCase {
    func client() throws -> TeacherClient {
        try TeacherClient(baseURL: stub.baseURL + "/", apiKey: "k", maxConnections: 8, timeoutSeconds: 2)
    }

    func testChatCompletionsModelsAndTheBytesSent() async throws {
        let c = try client()
        defer { Task { await c.shutdown() } }
        XCTAssertEqual(c.host, "127.0.0.1:\(stub.port)")
        let models = try await c.models()
        XCTAssertEqual(models, ["fake-teacher"])
        let attempt = await c.send(chat("Hello there teacher") { $0.stop = ["END"]; $0.seed = 7 })
        let response = try attempt.result.get()
        XCTAssertEqual(response.choices.first?.text.hasPrefix("Answer 0 to: Hello there teacher"), true)
        XCTAssertEqual(response.servedModel, "fake-teacher")
        XCTAssertEqual(response.systemFingerprint, "fp_stub")
        XCTAssertNotNil(response.usage)
        let sent = try JSONValue.parse(try XCTUnwrap(stub.stats.lastBodies.last))
        XCTAssertEqual(sent["temperature"], 0.7)
        XCTAssertEqual(sent["top_p"], 1)
        XCTAssertEqual(sent["max_tokens"], 16)
        XCTAssertEqual(sent["n"], 1)
        XCTAssertEqual(sent["stop"], ["END"])
        XCTAssertEqual(sent["seed"], 7)
        XCTAssertEqual(sent["logprobs"], false)
    }

    /// OpenAI's reasoning models refuse `max_tokens`: a teacher set to `max_completion_tokens` sends that
    /// instead, on the chat endpoint only, and the request keeps its identity (cache key).
    func testMaxCompletionTokensForReasoningModels() async throws {
        stub.behaviour.rejectsMaxTokens = true
        let plain = try client()
        let reasoning = try TeacherClient(baseURL: stub.baseURL, apiKey: "k", maxConnections: 8, timeoutSeconds: 2, maxTokensField: .maxCompletionTokens)
        defer { Task { await plain.shutdown(); await reasoning.shutdown() } }
        let request = chat("How long is a piece of string?", maxTokens: 5)
        guard case .failure(.api(let status, let error)) = await plain.send(request).result else { return XCTFail("max_tokens should be refused") }
        XCTAssertEqual(status, 400)
        XCTAssertTrue(error.message.contains("max_completion_tokens"), error.message)
        let response = try await reasoning.send(request).result.get()
        XCTAssertEqual(response.usage?.completionTokens, 5)
        let sent = try JSONValue.parse(try XCTUnwrap(stub.stats.lastBodies.last))
        XCTAssertEqual(sent["max_completion_tokens"], 5)
        XCTAssertNil(sent["max_tokens"])
        XCTAssertEqual(request.body(for: .maxCompletionTokens)["max_completion_tokens"], 5)
        XCTAssertEqual(request.body["max_tokens"], 5, "the identity keeps one spelling")
        var sampling = Sampling()
        sampling.maxTokens = 5
        let legacy = TeacherRequest.completion(model: "fake-teacher", prompt: "Once", sampling: sampling)
        XCTAssertEqual(legacy.body(for: .maxCompletionTokens)["max_tokens"], 5, "the completions endpoint keeps max_tokens")
    }

    func testStreamingWithUsageAndLogprobsEqualsTheWholeAnswer() async throws {
        let c = try client()
        defer { Task { await c.shutdown() } }
        let whole = try await c.send(chat("Stream me please") { $0.logprobs = true; $0.topLogprobs = 3 }).result.get()
        let streamed = try await c.send(chat("Stream me please") { $0.logprobs = true; $0.topLogprobs = 3; $0.stream = true }).result.get()
        XCTAssertEqual(streamed.choices.map(\.text), whole.choices.map(\.text))
        XCTAssertEqual(streamed.usage, whole.usage)
        XCTAssertEqual(streamed.choices.first?.logprobs, whole.choices.first?.logprobs)
        let token = try XCTUnwrap(whole.choices.first?.logprobs?["content"]?.array?.first)
        XCTAssertEqual(token["top_logprobs"]?.array?.count, 3)
        XCTAssertEqual(token["bytes"], .array(Array("Answer".utf8).map { .int(Int64($0)) }))
        // A server that ignores include_usage: the answer arrives, without usage.
        stub.behaviour.supportsIncludeUsage = false
        let noUsage = try await c.send(chat("Stream me please") { $0.stream = true }).result.get()
        XCTAssertNil(noUsage.usage)
    }

    func testLegacyCompletionsWithEcho() async throws {
        let c = try client()
        defer { Task { await c.shutdown() } }
        var s = Sampling()
        s.maxTokens = 4
        let r = try await c.send(TeacherRequest.completion(model: "fake-teacher", prompt: "Once upon", sampling: s, echo: true)).result.get()
        XCTAssertEqual(r.choices.first?.text.hasPrefix("Once uponAnswer 0 to: Once"), true)
        XCTAssertEqual(r.choices.first?.finishReason, "length")
        let sent = try JSONValue.parse(try XCTUnwrap(stub.stats.lastBodies.last))
        XCTAssertEqual(sent["echo"], true)
        XCTAssertEqual(sent["prompt"], "Once upon")
    }

    func testEachFaultIsClassified() async throws {
        let c = try client()
        defer { Task { await c.shutdown() } }
        stub.script([.rateLimited(retryAfterMs: 120), .insufficientQuota, .serverError, .vllmError(status: 400), .cutMidBody, .malformedJSON,
                     .rateLimitedSeconds("2")])
        let limited = await c.send(chat("a"))
        guard case .failure(.api(429, let body)) = limited.result else { return XCTFail("\(limited.result)") }
        XCTAssertEqual(body.code, "rate_limit_exceeded")
        XCTAssertEqual(limited.limits.retryAfter, 0.12)
        XCTAssertEqual(limited.limits.remainingRequests, 0)
        XCTAssertEqual(limited.limits.resetRequests, 0.02)
        XCTAssertFalse(limited.mayHaveBilled)
        let quota = await c.send(chat("b"))
        guard case .failure(.insufficientQuota) = quota.result else { return XCTFail("\(quota.result)") }
        let server = await c.send(chat("c"))
        guard case .failure(.api(500, _)) = server.result else { return XCTFail("\(server.result)") }
        let vllm = await c.send(chat("d"))
        guard case .failure(.api(400, let vbody)) = vllm.result else { return XCTFail("\(vllm.result)") }
        XCTAssertEqual(vbody.code, "400")
        let cut = await c.send(chat("e"))
        guard case .failure(.transport) = cut.result else { return XCTFail("\(cut.result)") }
        XCTAssertTrue(cut.mayHaveBilled)
        let malformed = await c.send(chat("f"))
        guard case .failure(.malformed) = malformed.result else { return XCTFail("\(malformed.result)") }
        let seconds = await c.send(chat("g"))
        XCTAssertEqual(seconds.limits.retryAfter, 2)
        let recovered = await c.send(chat("h"))
        XCTAssertNotNil(try? recovered.result.get())
    }

    func testSlowAnswerTimesOutAndCountsAsPossiblyBilled() async throws {
        let c = try TeacherClient(baseURL: stub.baseURL, apiKey: nil, maxConnections: 2, timeoutSeconds: 0.2)
        defer { Task { await c.shutdown() } }
        stub.script([.slow(seconds: 1)])
        let slow = await c.send(chat("slow"))
        guard case .failure(.transport(let reason)) = slow.result else { return XCTFail("\(slow.result)") }
        XCTAssertEqual(reason, "timed out")
        XCTAssertTrue(slow.mayHaveBilled)
    }

    func testStoppedServerIsATransportError() async throws {
        let c = try client()
        defer { Task { await c.shutdown() } }
        await stub.stop()
        let attempt = await c.send(chat("anyone?"))
        guard case .failure(.transport) = attempt.result else { return XCTFail("\(attempt.result)") }
        XCTAssertFalse(attempt.mayHaveBilled)
    }

    func testBaseURLMustBeHTTP() {
        XCTAssertThrowsError(try TeacherClient(baseURL: "ftp://x", apiKey: nil, maxConnections: 1, timeoutSeconds: 1))
    }
}
