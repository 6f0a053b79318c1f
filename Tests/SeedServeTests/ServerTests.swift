import Foundation
import Hummingbird
import HummingbirdTesting
import SeedModel
@testable import SeedServe
import SeedTokenizer
import XCTest

final class ServerTests: XCTestCase {
    var folder: URL!
    var served: ServedModel!

    override func setUpWithError() throws {
        folder = try TinyModel.bpeFolder()
        served = try ServedModel.load(folder: folder, name: "tiny")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func withServer(_ configuration: ServerConfiguration = ServerConfiguration(port: 0, maxBodyBytes: 64 << 10),
                    _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = SeedServer(served: served, configuration: configuration)
        defer { server.engine.stop() }
        try await server.application().test(.live, test)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(String(buffer: response.body))")
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: Any, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: data))
    }

    /// Checks an OpenAI error body and returns its `code`.
    @discardableResult
    static func assertError(_ response: TestResponse, _ status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        XCTAssertEqual(response.status, status, String(buffer: response.body), file: file, line: line)
        let error = try XCTUnwrap(try json(response)["error"] as? [String: Any], file: file, line: line)
        XCTAssertNotNil(error["message"] as? String, file: file, line: line)
        XCTAssertNotNil(error["type"] as? String, file: file, line: line)
        XCTAssertTrue(error.keys.contains("param") && error.keys.contains("code"), file: file, line: line)
        return error["code"] as? String
    }

    /// The JSON events of a streamed answer, checking that it ends with `[DONE]`; heartbeat comments skipped.
    static func events(_ response: TestResponse, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
        XCTAssertEqual(events.last, "data: [DONE]", file: file, line: line)
        return try events.dropLast().map { event -> [String: Any] in
            XCTAssertTrue(event.hasPrefix("data: "), event, file: file, line: line)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any], file: file, line: line)
        }
    }

    /// When the model's next token is its end of text, lm-evaluation-harness still finds one entry per prompt
    /// token plus the generated one (it reads `token_logprobs[ctxlen:-1]`), as vLLM lists it; the text has
    /// no trace of it.
    func testAStopTokenIsListedInTheLogprobsAsLMEvalExpects() async throws {
        let prompt = served.tokenizer.encode("The quick brown fox")
        let session = InferenceSession(model: served.model)
        // The logits live in the session: it must outlive the copy.
        let logits = try withExtendedLifetime(session) { Array(try session.feed(prompt)) }
        let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
        let configURL = folder.appendingPathComponent("config.json")
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["eos_token_id"] = Int(next)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        served = try ServedModel.load(folder: folder, name: "tiny")
        let promptIds = prompt.map(Int.init)
        let promptText = served.tokenizer.decode(prompt, skipSpecialTokens: false), stopText = served.tokenText(next)
        try await withServer { client in
            let body: [String: Any] = ["prompt": promptIds, "max_tokens": 1, "logprobs": 1, "echo": true, "temperature": 0]
            let answer = try Self.json(try await Self.post(client, "/v1/completions", body))
            let choice = try XCTUnwrap((answer["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual(choice["finish_reason"] as? String, "stop")
            XCTAssertEqual(choice["text"] as? String, promptText)
            let logprobs = try XCTUnwrap(choice["logprobs"] as? [String: Any])
            let tokenLogprobs = try XCTUnwrap(logprobs["token_logprobs"] as? [Any])
            XCTAssertEqual(tokenLogprobs.count, prompt.count + 1)
            XCTAssertEqual((logprobs["tokens"] as? [String])?.last, stopText)
            let top = try XCTUnwrap((logprobs["top_logprobs"] as? [Any])?.last as? [String: Double])
            XCTAssertEqual(top.values.max(), tokenLogprobs.last as? Double)
            XCTAssertEqual((answer["usage"] as? [String: Int])?["completion_tokens"], 1)

            // Streamed, the stop token's entry comes with the finish reason.
            var streaming = body
            streaming["stream"] = true
            let chunks = try Self.events(try await Self.post(client, "/v1/completions", streaming))
            let entries = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])?["token_logprobs"] as? [Any] }
            XCTAssertEqual(entries.reduce(0) { $0 + $1.count }, prompt.count + 1)
            XCTAssertEqual((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String, "stop")

            // Echo without logprobs streams the prompt's text first.
            let echoed = try Self.events(try await Self.post(client, "/v1/completions", ["prompt": "The quick", "max_tokens": 2, "echo": true,
                                                                                         "stream": true]))
            XCTAssertEqual((echoed.first?["choices"] as? [[String: Any]])?.first?["text"] as? String, "The quick")
        }
    }

    func testModelsHealthAndTokenizerEndpoints() async throws {
        let tokenizer = served.tokenizer
        try await withServer { client in
            let models = try Self.json(try await client.execute(uri: "/v1/models", method: .get))
            XCTAssertEqual((models["data"] as? [[String: Any]])?.first?["id"] as? String, "tiny")
            let health = try await client.execute(uri: "/health", method: .get)
            XCTAssertEqual(health.status, .ok)

            let info = try Self.json(try await client.execute(uri: "/tokenizer_info", method: .get))
            XCTAssertEqual(info["eos_token"] as? String, "<|endoftext|>")
            XCTAssertNotNil(info["chat_template"] as? String)
            let text = "Paris is the capital of France.<|endoftext|>"
            let tokens = try Self.json(try await Self.post(client, "/tokenize", ["prompt": text, "add_special_tokens": false]))["tokens"] as? [Int]
            XCTAssertEqual(tokens, tokenizer.encode(text, allowedSpecial: .all).map(Int.init))
            XCTAssertEqual(tokens?.last, Int(tokenizer.endOfTextId!))
            let back = try Self.json(try await Self.post(client, "/detokenize", ["tokens": tokens ?? []]))["prompt"] as? String
            XCTAssertEqual(back, text)
            // A chat ends with the assistant's opening unless add_generation_prompt is false, as in vLLM.
            let messages = [["role": "user", "content": "Hi"]]
            let withOpening = try Self.json(try await Self.post(client, "/tokenize", ["messages": messages]))["count"] as? Int
            let without = try Self.json(try await Self.post(client, "/tokenize", ["messages": messages, "add_generation_prompt": false]))["count"] as? Int
            XCTAssertLessThan(without ?? .max, withOpening ?? 0)
        }
    }

    /// lm-evaluation-harness's loglikelihood call: token-id prompts in a batch, echo, logprobs 1, max_tokens 1.
    /// Every prompt gets one entry per token plus the generated one, the first null, matching the model.
    func testEchoedLogprobsAreWhatLMEvalReads() async throws {
        let prompts = ["Paris is the capital of France.", "The quick brown fox"].map { served.tokenizer.encode($0) }
        let model = served.model
        try await withServer { client in
            let response = try await Self.post(client, "/v1/completions", [
                "model": "tiny", "prompt": prompts.map { $0.map(Int.init) }, "max_tokens": 1, "logprobs": 1, "echo": true,
                "temperature": 0, "seed": 1234,
            ])
            XCTAssertEqual(response.status, .ok, String(buffer: response.body))
            let choices = try XCTUnwrap(try Self.json(response)["choices"] as? [[String: Any]])
            XCTAssertEqual(choices.count, 2)
            for choice in choices {
                let index = try XCTUnwrap(choice["index"] as? Int)
                let prompt = prompts[index]
                let logprobs = try XCTUnwrap(choice["logprobs"] as? [String: Any])
                let tokenLogprobs = try XCTUnwrap(logprobs["token_logprobs"] as? [Any])
                let top = try XCTUnwrap(logprobs["top_logprobs"] as? [Any])
                XCTAssertEqual(tokenLogprobs.count, prompt.count + 1)
                XCTAssertEqual((logprobs["tokens"] as? [String])?.count, prompt.count + 1)
                XCTAssertEqual((logprobs["text_offset"] as? [Int])?.first, 0)
                XCTAssertTrue(tokenLogprobs[0] is NSNull)
                XCTAssertTrue(top[0] is NSNull)
                let session = InferenceSession(model: model)
                var sum = 0.0, expected = 0.0
                for position in 1..<prompt.count {
                    let logits = Array(try session.feed([prompt[position - 1]]))
                    expected += logits.withUnsafeBufferPointer { LogProbabilities($0).of(prompt[position]) }
                    sum += try XCTUnwrap(tokenLogprobs[position] as? Double)
                    XCTAssertEqual((top[position] as? [String: Double])?.count, 1)
                }
                XCTAssertEqual(sum, expected, accuracy: 1e-4)
                // The generated token is greedy, so its logprob is the top one, as lm-eval's is_greedy checks.
                let last = try XCTUnwrap(tokenLogprobs.last as? Double)
                XCTAssertEqual((top.last as? [String: Double])?.values.max(), last)
                XCTAssertEqual(choice["finish_reason"] as? String, "length")
            }
        }
    }

    func testCompletionsFromTextWithNAndStop() async throws {
        try await withServer { client in
            let body = try Self.json(try await Self.post(client, "/v1/completions", [
                "prompt": ["The quick brown", "Paris"], "max_tokens": 6, "n": 2, "temperature": 0.9, "seed": 3,
            ]))
            let choices = try XCTUnwrap(body["choices"] as? [[String: Any]])
            XCTAssertEqual(choices.map { $0["index"] as? Int }, [0, 1, 2, 3])
            let usage = try XCTUnwrap(body["usage"] as? [String: Int])
            XCTAssertLessThanOrEqual(usage["completion_tokens"]!, 24)
            XCTAssertEqual(usage["total_tokens"], usage["prompt_tokens"]! + usage["completion_tokens"]!)
            // As OpenAI bills it, each prompt counts once whatever n is.
            let single = try Self.json(try await Self.post(client, "/v1/completions", ["prompt": ["The quick brown", "Paris"], "max_tokens": 1]))
            XCTAssertEqual((single["usage"] as? [String: Int])?["prompt_tokens"], usage["prompt_tokens"])

            let greedy = try Self.json(try await Self.post(client, "/v1/completions", ["prompt": "The quick", "max_tokens": 8, "temperature": 0]))
            let text = try XCTUnwrap((greedy["choices"] as? [[String: Any]])?.first?["text"] as? String)
            if let cut = text.dropFirst(2).first.map(String.init) {
                let stopped = try Self.json(try await Self.post(client, "/v1/completions", [
                    "prompt": "The quick", "max_tokens": 8, "temperature": 0, "stop": cut,
                ]))
                let choice = try XCTUnwrap((stopped["choices"] as? [[String: Any]])?.first)
                XCTAssertEqual(choice["finish_reason"] as? String, "stop")
                XCTAssertFalse((choice["text"] as? String ?? cut).contains(cut))
            }
        }
    }

    func testChatStreamsDeltasAndUsage() async throws {
        try await withServer { client in
            let messages = [["role": "system", "content": "Be brief."], ["role": "user", "content": "Where is Paris?"]]
            let plain = try Self.json(try await Self.post(client, "/v1/chat/completions", [
                "model": "tiny", "messages": messages, "max_tokens": 5, "temperature": 0, "logprobs": true, "top_logprobs": 2,
            ]))
            let choice = try XCTUnwrap((plain["choices"] as? [[String: Any]])?.first)
            let answer = try XCTUnwrap((choice["message"] as? [String: Any])?["content"] as? String)
            XCTAssertNotNil(["stop", "length"].firstIndex(of: choice["finish_reason"] as? String ?? ""))
            let entries = try XCTUnwrap((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            XCTAssertEqual(entries.first.flatMap { $0["top_logprobs"] as? [Any] }?.count, entries.isEmpty ? nil : 2)

            let stream = try await Self.post(client, "/v1/chat/completions", [
                "messages": messages, "max_tokens": 5, "temperature": 0, "stream": true, "stream_options": ["include_usage": true],
            ])
            XCTAssertEqual(stream.headers[.contentType], "text/event-stream")
            let chunks = try Self.events(stream)
            var streamed = ""
            for chunk in chunks {
                XCTAssertEqual(chunk["object"] as? String, "chat.completion.chunk")
                for c in chunk["choices"] as? [[String: Any]] ?? [] { streamed += (c["delta"] as? [String: Any])?["content"] as? String ?? "" }
            }
            XCTAssertEqual(streamed, answer, "greedy streaming gives the same answer")
            XCTAssertEqual((chunks.last?["choices"] as? [Any])?.count, 0)
            XCTAssertNotNil((chunks.last?["usage"] as? [String: Int])?["completion_tokens"])
            // With include_usage the other chunks carry a null usage, and a choice without a value a null one.
            XCTAssertTrue(chunks.dropLast().allSatisfy { $0["usage"] is NSNull })
            XCTAssertTrue((chunks.first?["choices"] as? [[String: Any]])?.first?["finish_reason"] is NSNull)
        }
    }

    func testErrorsHaveOpenAIsShapeAndStatus() async throws {
        let context = served.context
        try await withServer { client in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let badJSON = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: "{\"messages\": ["))
            try Self.assertError(badJSON, .badRequest)
            let wrongType = try await Self.post(client, "/v1/completions", ["prompt": "hi", "max_tokens": "ten"])
            try Self.assertError(wrongType, .badRequest)
            XCTAssertEqual(((try Self.json(wrongType))["error"] as? [String: Any])?["param"] as? String, "max_tokens")
            let unknown = try await Self.post(client, "/v1/chat/completions", ["model": "gpt-9", "messages": [["role": "user", "content": "hi"]]])
            XCTAssertEqual(try Self.assertError(unknown, .badRequest), "model_not_found")
            let long = try await Self.post(client, "/v1/completions", ["prompt": Array(repeating: 5, count: context + 1), "max_tokens": 1])
            XCTAssertEqual(try Self.assertError(long, .badRequest), "context_length_exceeded")
            let missing = try await Self.post(client, "/v1/chat/completions", ["model": "tiny"])
            try Self.assertError(missing, .badRequest)
            let badToken = try await Self.post(client, "/v1/completions", ["prompt": [1, 99999], "max_tokens": 1])
            try Self.assertError(badToken, .badRequest)
            // A max_tokens near Int.max would wrap prompt + answer around under -Ounchecked.
            let endless = try await Self.post(client, "/v1/completions", ["prompt": "hi", "max_tokens": Int.max - 1])
            XCTAssertEqual(try Self.assertError(endless, .badRequest), "context_length_exceeded")
            let crowd = try await Self.post(client, "/v1/completions", ["prompt": Array(repeating: [5], count: 100), "n": 11, "max_tokens": 1])
            try Self.assertError(crowd, .badRequest)
            let longStop = try await Self.post(client, "/v1/completions", ["prompt": "hi", "stop": [String(repeating: "é", count: 129)]])
            try Self.assertError(longStop, .badRequest)
            let manyStops = try await Self.post(client, "/v1/completions", ["prompt": "hi", "max_tokens": 1, "stop": (0..<17).map { "s\($0)" }])
            try Self.assertError(manyStops, .badRequest)
            let options = try await Self.post(client, "/v1/chat/completions", ["messages": [["role": "user", "content": "hi"]],
                                                                                "stream_options": ["include_usage": true]])
            XCTAssertEqual(((try Self.json(options))["error"] as? [String: Any])?["param"] as? String, "stream_options")
            try Self.assertError(try await client.execute(uri: "/v1/nothing", method: .get), .notFound)
            let huge = try await Self.post(client, "/v1/completions", ["prompt": String(repeating: "a", count: 70 << 10)])
            try Self.assertError(huge, .contentTooLarge)
            // The server still answers after all of that.
            let health = try await client.execute(uri: "/health", method: .get)
            XCTAssertEqual(health.status, .ok)
        }
    }

    func testAPIKeyGuardsTheV1Endpoints() async throws {
        try await withServer(ServerConfiguration(port: 0, apiKey: "sekret")) { client in
            try Self.assertError(try await client.execute(uri: "/v1/models", method: .get), .unauthorized)
            var wrong = HTTPFields()
            wrong[.authorization] = "Bearer nope"
            try Self.assertError(try await client.execute(uri: "/v1/models", method: .get, headers: wrong), .unauthorized)
            var right = HTTPFields()
            right[.authorization] = "Bearer sekret"
            let allowed = try await client.execute(uri: "/v1/models", method: .get, headers: right)
            XCTAssertEqual(allowed.status, .ok)
            let health = try await client.execute(uri: "/health", method: .get)
            XCTAssertEqual(health.status, .ok)
            // The router skips empty path segments; the key check must see the same path.
            try Self.assertError(try await client.execute(uri: "//v1/models", method: .get), .unauthorized)
            try Self.assertError(try await Self.post(client, "//v1/completions", ["prompt": "The", "max_tokens": 1]), .unauthorized)
            // The tokenizer stays open, as vLLM leaves it for lm-evaluation-harness's remote tokenizer.
            let tokenized = try await Self.post(client, "/tokenize", ["prompt": "The"])
            XCTAssertEqual(tokenized.status, .ok)
            let slashes = try await client.execute(uri: "//health/", method: .get)
            XCTAssertEqual(slashes.status, .ok)
        }
    }

    /// A failure that comes before the answer has started (here the engine has stopped) gets its own status,
    /// not a 200 whose body is an error.
    func testAnEarlyFailureKeepsItsStatus() async throws {
        let server = SeedServer(served: served, configuration: ServerConfiguration(port: 0))
        server.engine.stop()
        try await server.application().test(.live) { client in
            let whole = try await Self.post(client, "/v1/completions", ["prompt": "The", "max_tokens": 2])
            try Self.assertError(whole, .internalServerError)
        }
    }

    func testMetricsCountRequestsTokensAndLatency() async throws {
        try await withServer { client in
            _ = try await Self.post(client, "/v1/completions", ["prompt": "The quick", "max_tokens": 3, "temperature": 0])
            _ = try await client.execute(uri: "/v1/nothing", method: .get)
            // The engine counts a step once its tokens are out: the last one may still be on its way.
            let lastStep = "seed_engine_rows_total{kind=\"decode\"} 2"
            var text = ""
            let deadline = ContinuousClock.now + .seconds(5)
            repeat {
                text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            } while !text.contains(lastStep) && ContinuousClock.now < deadline
            XCTAssertTrue(text.contains("seed_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 1"), text)
            XCTAssertTrue(text.contains("seed_requests_total{endpoint=\"other\",status=\"404\"} 1"), text)
            XCTAssertTrue(text.contains("seed_request_duration_seconds_count{endpoint=\"/v1/completions\"} 1"), text)
            XCTAssertTrue(text.contains("seed_time_to_first_token_seconds_count 1"), text)
            XCTAssertTrue(text.contains("# TYPE seed_generation_tokens_total counter"), text)
            XCTAssertTrue(text.contains("# TYPE seed_engine_step_seconds histogram"), text)
            // Three tokens: the prompt's step gives the first, two decoding steps the others.
            XCTAssertTrue(text.contains(lastStep), text)
            let steps = text.split(separator: "\n").first { $0.hasPrefix("seed_engine_step_seconds_count ") }
            XCTAssertGreaterThanOrEqual(Int(steps?.split(separator: " ").last ?? "") ?? 0, 3, text)
        }
    }

    /// A byte-level model (no ChatML tokens) chats in plain `role: content` lines.
    func testByteLevelModelsChatInPlainText() async throws {
        let bytes = try TinyModel.byteFolder()
        defer { try? FileManager.default.removeItem(at: bytes) }
        served = try ServedModel.load(folder: bytes, name: "bytes")
        XCTAssertEqual(served.plainTextChat([ChatMessage(role: "user", content: "hi")]), "user: hi\nassistant: ")
        try await withServer { client in
            let response = try await Self.post(client, "/v1/chat/completions", ["messages": [["role": "user", "content": "hi"]], "max_tokens": 4])
            XCTAssertEqual(response.status, .ok, String(buffer: response.body))
            let info = try Self.json(try await client.execute(uri: "/tokenizer_info", method: .get))
            XCTAssertNil(info["chat_template"])
        }
    }

    /// `seed bench serve`'s own client (a byte scanner over a blocking socket) counts what the server says it
    /// sent: three greedy streams of the same prompt, each the length of the same request answered whole.
    func testTheBenchmarkClientReadsEveryStreamToTheEnd() async throws {
        try await withServer { client in
            let port = try XCTUnwrap(client.port)
            let whole = try Self.json(try await Self.post(client, "/v1/completions",
                                                          ["model": "tiny", "prompt": "The quick brown fox", "max_tokens": 12, "temperature": 0]))
            let usage = try XCTUnwrap(whole["usage"] as? [String: Any])
            let answered = try XCTUnwrap(usage["completion_tokens"] as? Int)
            let figures = try await ServeBenchmark.server(baseURL: try XCTUnwrap(URL(string: "http://127.0.0.1:\(port)/v1")), model: "tiny",
                                                          streams: 3, prompt: "The quick brown fox", maxTokens: 12, minimumSeconds: 0)
            XCTAssertEqual(figures.tokens, 3 * answered)
            XCTAssertGreaterThan(figures.medianTimeToFirstToken, 0)
            XCTAssertGreaterThan(figures.totalTokensPerSecond, 0)
        }
    }
}
