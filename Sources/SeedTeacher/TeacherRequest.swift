import Crypto
import Foundation

/// The sampling fields of a request. Every one is sent explicitly: servers disagree on defaults
/// (llama.cpp samples at 0.8, vLLM takes the model's generation_config, OpenAI 1.0), so leaving one out
/// would make the same job produce different data on different servers.
public struct Sampling: Hashable, Sendable {
    public var temperature = 1.0
    public var topP = 1.0
    public var maxTokens = 256
    public var n = 1
    public var stop: [String] = []
    public var seed: Int64?
    public var logprobs = false
    public var topLogprobs: Int?
    public var responseFormat: JSONValue?
    /// Transport only: not part of the request's identity.
    public var stream = false

    public init() {}

    func apply(to body: inout [String: JSONValue]) {
        body["temperature"] = .double(temperature)
        body["top_p"] = .double(topP)
        body["max_tokens"] = .int(Int64(maxTokens))
        body["n"] = .int(Int64(n))
        body["stop"] = stop.isEmpty ? .null : .array(stop.map(JSONValue.string))
        body["seed"] = seed.map(JSONValue.int) ?? .null
        body["logprobs"] = .bool(logprobs)
        if let topLogprobs { body["top_logprobs"] = .int(Int64(topLogprobs)) }
        if let responseFormat { body["response_format"] = responseFormat }
    }
}

/// How a teacher's chat endpoint spells the answer's length limit.
public enum MaxTokensField: String, Sendable, CaseIterable {
    case maxTokens = "max_tokens"
    case maxCompletionTokens = "max_completion_tokens"
}

public struct ChatMessage: Hashable, Sendable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    var json: JSONValue { .object(["role": .string(role), "content": .string(content)]) }
}

/// One request as it will be sent, minus the transport fields (`stream`, `stream_options`), which are added
/// on the wire and never change the answer's identity.
public struct TeacherRequest: Hashable, Sendable {
    public enum Endpoint: String, Sendable {
        case chat = "/chat/completions"
        case completions = "/completions"
    }

    public var endpoint: Endpoint
    public var body: [String: JSONValue]
    /// Tells apart independent samples of the same request (temperature > 0): each is its own cache entry.
    public var sampleIndex: Int
    public var stream: Bool
    /// Upper bound of the prompt's tokens, for the budget and the token bucket.
    public var promptTokenBound: Int
    public var maxTokens: Int
    public var n: Int

    public static func chat(model: String, messages: [ChatMessage], sampling: Sampling, sampleIndex: Int = 0) -> TeacherRequest {
        var body: [String: JSONValue] = ["model": .string(model), "messages": .array(messages.map(\.json))]
        sampling.apply(to: &body)
        return TeacherRequest(endpoint: .chat, body: body, sampleIndex: sampleIndex, stream: sampling.stream,
                              promptTokenBound: TokenBound.chat(messages), maxTokens: sampling.maxTokens, n: sampling.n)
    }

    public static func completion(model: String, prompt: String, sampling: Sampling, echo: Bool = false, sampleIndex: Int = 0) -> TeacherRequest {
        var body: [String: JSONValue] = ["model": .string(model), "prompt": .string(prompt), "echo": .bool(echo)]
        sampling.apply(to: &body)
        // The legacy endpoint takes the number of alternatives in `logprobs` itself.
        body["logprobs"] = sampling.logprobs ? .int(Int64(sampling.topLogprobs ?? 0)) : .null
        body["top_logprobs"] = nil
        return TeacherRequest(endpoint: .completions, body: body, sampleIndex: sampleIndex, stream: sampling.stream,
                              promptTokenBound: TokenBound.text(prompt), maxTokens: sampling.maxTokens, n: sampling.n)
    }

    /// SHA-256 (hex) of the canonical JSON of the endpoint, the server, the body and the sample index: the
    /// cache key, the Batch API's `custom_id`, and `seed.request_sha256` on every record.
    public func hash(baseURL: String) -> String {
        let identity: JSONValue = .object([
            "endpoint": .string(endpoint.rawValue), "base_url": .string(baseURL),
            "body": .object(body), "sample_index": .int(Int64(sampleIndex)),
        ])
        return SHA256.hash(data: identity.canonicalData).map { String(format: "%02x", $0) }.joined()
    }

    /// The body as this teacher takes it: OpenAI's reasoning models refuse `max_tokens` on the chat
    /// endpoint and want `max_completion_tokens`, which older servers do not know. The spelling is not
    /// part of the request's identity (its hash), so switching it keeps the cache.
    func body(for field: MaxTokensField) -> [String: JSONValue] {
        var wire = body
        if field == .maxCompletionTokens, endpoint == .chat, let limit = wire.removeValue(forKey: "max_tokens") {
            wire["max_completion_tokens"] = limit
        }
        return wire
    }

    /// The bytes sent on the wire.
    func wireBody(includeUsage: Bool, maxTokensField: MaxTokensField = .maxTokens) -> Data {
        var wire = body(for: maxTokensField)
        if stream {
            wire["stream"] = .bool(true)
            if includeUsage { wire["stream_options"] = .object(["include_usage": .bool(true)]) }
        }
        return JSONValue.object(wire).canonicalData
    }

    /// The worst case this request can use: every choice at its max tokens.
    public var worstCaseTokens: (prompt: Int, completion: Int) { (promptTokenBound, maxTokens * max(n, 1)) }
}

/// A sound upper bound of a prompt's tokens without the teacher's tokenizer: every token of a byte-level
/// tokenizer covers at least one byte, and a chat template adds a few tokens per message (OpenAI counts 3
/// to 4; templates with a built-in system prompt add more, hence the generous allowance per request).
public enum TokenBound {
    public static let perMessage = 8
    public static let perRequest = 32

    public static func chat(_ messages: [ChatMessage]) -> Int {
        messages.reduce(perRequest) { $0 + perMessage + $1.content.utf8.count + $1.role.utf8.count }
    }

    public static func text(_ prompt: String) -> Int { perRequest + prompt.utf8.count }
}
