import Foundation
@testable import SeedTeacher
import XCTest

final class WireFormatTests: XCTestCase {
    func testCanonicalJSONSortsKeysAndKeepsIntegers() throws {
        let a: JSONValue = ["b": 1, "a": ["z": 0.5, "y": true], "c": "x\"\n\u{01}"]
        XCTAssertEqual(a.canonical, #"{"a":{"y":true,"z":0.5},"b":1,"c":"x\"\n\u0001"}"#)
        XCTAssertEqual(JSONValue.double(1.0).canonical, "1")
        XCTAssertEqual(JSONValue.int(1 << 60).canonical, "1152921504606846976")
        let parsed = try JSONValue.parse(#"{"c":"x\"\n\u0001","b":1,"a":{"z":0.5,"y":true}}"#)
        XCTAssertEqual(parsed.canonical, a.canonical)
    }

    func testRequestHashIgnoresBuildOrderAndStreamButNotSemantics() {
        var s = Sampling()
        s.temperature = 0.7
        s.maxTokens = 64
        let messages = [ChatMessage(role: "user", content: "Hi")]
        let base = TeacherRequest.chat(model: "m", messages: messages, sampling: s).hash(baseURL: "http://h/v1")
        var streamed = s
        streamed.stream = true
        XCTAssertEqual(TeacherRequest.chat(model: "m", messages: messages, sampling: streamed).hash(baseURL: "http://h/v1"), base)
        // The same body assembled in another key order hashes the same.
        var r = TeacherRequest.chat(model: "m", messages: messages, sampling: s)
        r.body = Dictionary(uniqueKeysWithValues: r.body.sorted { $0.key > $1.key })
        XCTAssertEqual(r.hash(baseURL: "http://h/v1"), base)
        var changes: [(String, (inout Sampling) -> Void)] = [
            ("temperature", { $0.temperature = 0.8 }), ("top_p", { $0.topP = 0.9 }), ("max_tokens", { $0.maxTokens = 65 }),
            ("n", { $0.n = 2 }), ("stop", { $0.stop = ["\n"] }), ("seed", { $0.seed = 1 }), ("logprobs", { $0.logprobs = true }),
            ("top_logprobs", { $0.topLogprobs = 2 }), ("response_format", { $0.responseFormat = ["type": "json_object"] }),
        ]
        changes.append(("nothing", { _ in }))
        for (name, change) in changes {
            var c = s
            change(&c)
            let h = TeacherRequest.chat(model: "m", messages: messages, sampling: c).hash(baseURL: "http://h/v1")
            if name == "nothing" { XCTAssertEqual(h, base) } else { XCTAssertNotEqual(h, base, name) }
        }
        XCTAssertNotEqual(TeacherRequest.chat(model: "m", messages: messages, sampling: s, sampleIndex: 1).hash(baseURL: "http://h/v1"), base)
        XCTAssertNotEqual(TeacherRequest.chat(model: "m", messages: messages, sampling: s).hash(baseURL: "http://other/v1"), base)
        XCTAssertNotEqual(TeacherRequest.chat(model: "m2", messages: messages, sampling: s).hash(baseURL: "http://h/v1"), base)
    }

    func testEverySamplingFieldIsSentExplicitly() throws {
        let r = TeacherRequest.chat(model: "m", messages: [ChatMessage(role: "user", content: "Hi")], sampling: Sampling())
        let wire = try JSONValue.parse(r.wireBody(includeUsage: true))
        for key in ["temperature", "top_p", "max_tokens", "n", "stop", "seed", "logprobs"] { XCTAssertNotNil(wire[key], key) }
        XCTAssertNil(wire["stream"])
        var s = Sampling()
        s.stream = true
        let streamed = try JSONValue.parse(TeacherRequest.chat(model: "m", messages: [], sampling: s).wireBody(includeUsage: true))
        XCTAssertEqual(streamed["stream"], true)
        XCTAssertEqual(streamed["stream_options"]?["include_usage"], true)
    }

    func testRateLimitHeaders() {
        XCTAssertEqual(RateLimitHeaders.duration("6m0s"), 360)
        XCTAssertEqual(RateLimitHeaders.duration("1s"), 1)
        XCTAssertEqual(RateLimitHeaders.duration("12ms")!, 0.012, accuracy: 1e-12)
        XCTAssertEqual(RateLimitHeaders.duration("1h2m3.5s"), 3723.5)
        XCTAssertEqual(RateLimitHeaders.duration("250us")!, 0.00025, accuracy: 1e-12)
        XCTAssertEqual(RateLimitHeaders.duration("2"), 2)
        XCTAssertNil(RateLimitHeaders.duration("soon"))
        XCTAssertNil(RateLimitHeaders.duration("5x"))
        let headers = ["x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-tokens": "6m0s", "retry-after-ms": "120",
                       "retry-after": "3", "x-ratelimit-remaining-tokens": "-1"]
        let h = RateLimitHeaders { headers[$0] }
        XCTAssertEqual(h.remainingRequests, 59)
        XCTAssertEqual(h.resetTokens, 360)
        XCTAssertEqual(h.retryAfter, 0.12)  // retry-after-ms wins: it is the precise one
        XCTAssertNil(h.remainingTokens)  // Azure's -1 means unknown
        let date = RateLimitHeaders { $0 == "retry-after" ? "Wed, 21 Oct 2015 07:28:10 GMT" : nil }
        XCTAssertEqual(date.retryAfter, 0)  // a date in the past: go now
        XCTAssertEqual(RateLimitHeaders.retryAfterSeconds("Wed, 21 Oct 2015 07:28:10 GMT", now: Date(timeIntervalSince1970: 1_445_412_480)), 10)
    }

    func testErrorBodiesOfOpenAIVLLMAndLlamaCpp() {
        let openai = APIErrorBody(parsing: Array(#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#.utf8))
        XCTAssertEqual(openai.code, "insufficient_quota")
        XCTAssertTrue(openai.isInsufficientQuota)
        let vllm = APIErrorBody(parsing: Array(#"{"error":{"message":"bad","type":"BadRequestError","param":null,"code":400}}"#.utf8))
        XCTAssertEqual(vllm.code, "400")
        XCTAssertEqual(vllm.type, "BadRequestError")
        XCTAssertFalse(vllm.isInsufficientQuota)
        let oldVLLM = APIErrorBody(parsing: Array(#"{"object":"error","message":"too long","type":"BadRequestError","code":400}"#.utf8))
        XCTAssertEqual(oldVLLM.message, "too long")
        XCTAssertEqual(oldVLLM.code, "400")
        let llama = APIErrorBody(parsing: Array(#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#.utf8))
        XCTAssertEqual(llama.message, "Loading model")
        XCTAssertEqual(APIErrorBody(parsing: Array("Bad Gateway".utf8)).message, "Bad Gateway")
        XCTAssertEqual(APIErrorBody(parsing: Array(#"{"error":"plain"}"#.utf8)).message, "plain")
        XCTAssertTrue(TeacherError.api(status: 429, openai).isRetryable)
        XCTAssertTrue(TeacherError.api(status: 503, llama).isRetryable)
        XCTAssertFalse(TeacherError.api(status: 400, vllm).isRetryable)
        XCTAssertFalse(TeacherError.insufficientQuota("x").isRetryable)
    }

    func testStreamAssemblerRebuildsTheAnswerFromAnySplit() throws {
        let events = """
            data: {"id":"c1","model":"served-1","created":5,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":{"content":[{"token":"Hel","logprob":-0.1,"bytes":[72,101,108],"top_logprobs":[]}]},"finish_reason":null}],"usage":null}

            : keep-alive comment

            data: {"id":"c1","choices":[{"index":0,"delta":{"content":"lo é"},"finish_reason":"stop"}],"usage":null}

            data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}

            data: [DONE]


            """
        let bytes = Array(events.utf8)
        for split in [1, 2, 7, 64, bytes.count] {
            var a = StreamAssembler(endpoint: .chat)
            var i = 0
            while i < bytes.count {
                try a.feed(bytes[i..<min(bytes.count, i + split)])
                i += split
            }
            let r = try TeacherResponse(raw: try a.finish())
            XCTAssertEqual(r.choices.first?.text, "Hello é")
            XCTAssertEqual(r.choices.first?.finishReason, "stop")
            XCTAssertEqual(r.usage, Usage(promptTokens: 3, completionTokens: 2))
            XCTAssertEqual(r.servedModel, "served-1")
            XCTAssertEqual(r.choices.first?.logprobs?["content"]?.array?.count, 1)
        }
        var cut = StreamAssembler(endpoint: .chat)
        try cut.feed(Array(events.utf8.prefix(200)))
        XCTAssertThrowsError(try cut.finish()) { XCTAssertEqual($0 as? TeacherError, .transport("the stream ended before [DONE]")) }
    }

    func testAnEmptyAnswerIsValidButAMissingMessageIsNot() throws {
        let empty = try TeacherResponse(raw: try JSONValue.parse(#"{"choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"length"}]}"#))
        XCTAssertEqual(empty.choices.first?.text, "")
        XCTAssertThrowsError(try TeacherResponse(raw: try JSONValue.parse(#"{"choices":[{"index":0}]}"#)))
        XCTAssertThrowsError(try TeacherResponse(raw: try JSONValue.parse(#"{"id":"x"}"#)))
    }

    func testPricesRoundUpSoAReservationCoversItsSettlement() {
        let p = Prices(inputPerMillion: 0.15, outputPerMillion: 0.6)
        XCTAssertEqual(p.nanoUSD(prompt: 1_000_000, completion: 0), 150_000_000)
        XCTAssertEqual(p.nanoUSD(prompt: 1, completion: 1), 750)
        XCTAssertEqual(p.nanoUSD(prompt: 1000, completion: 1000, batch: true), 375_000)
        for prompt in stride(from: 0, to: 500, by: 37) {
            for completion in stride(from: 0, to: 300, by: 29) {
                XCTAssertLessThanOrEqual(p.nanoUSD(prompt: prompt - prompt / 3, completion: completion / 2), p.nanoUSD(prompt: prompt, completion: completion))
            }
        }
    }
}
