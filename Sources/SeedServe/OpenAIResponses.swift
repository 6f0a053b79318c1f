import Foundation
import SeedModel

struct Usage: Encodable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
    }
}

/// Log-probabilities in the legacy completions shape that lm-evaluation-harness parses: parallel lists,
/// `token_logprobs[0]` null when the prompt is echoed (nothing predicts the first token), `top_logprobs` a
/// map from token text to log-probability, `text_offset` in characters from the start of `text`.
struct CompletionLogprobs: Encodable {
    var tokens: [String] = []
    var tokenLogprobs: [Double?] = []
    var topLogprobs: [[String: Double]?] = []
    var textOffset: [Int] = []
    /// Characters so far; a character is counted at its first byte, so tokens that split one still add up.
    private(set) var offset: Int

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }

    init(startOffset: Int) { offset = startOffset }

    /// `inText` false: a stop token, listed at the end of the text without being part of it.
    mutating func append(_ scored: ScoredToken, served: ServedModel, inText: Bool = true) {
        tokens.append(served.tokenText(scored.token))
        tokenLogprobs.append(scored.logprob)
        if scored.logprob == nil {
            topLogprobs.append(nil)
        } else {
            var top: [String: Double] = [:]
            for alternative in scored.top {
                // Two ids can share a text (pieces of one character): keep the likelier.
                top[served.tokenText(alternative.token)] = max(top[served.tokenText(alternative.token)] ?? -.infinity, alternative.logprob)
            }
            topLogprobs.append(top)
        }
        textOffset.append(offset)
        if inText { offset += Self.characters(in: served.tokenizer.decodeBytes([scored.token])) }
    }

    /// Characters (Unicode scalars, as Python's str counts them) that UTF-8 bytes start.
    static func characters(in bytes: [UInt8]) -> Int { bytes.filter { $0 & 0xC0 != 0x80 }.count }
}

/// Fields without a value are sent as null, not left out, as OpenAI's reference shows them.
struct CompletionChoice: Encodable {
    var index: Int
    var text: String
    var logprobs: CompletionLogprobs?
    var finishReason: String?

    enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(text, forKey: .text)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

/// What every answer and chunk of both endpoints is made of around its choices.
struct ResponseEnvelope<Choice: Encodable>: Encodable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage? = nil
    /// A chunk of a stream that reports its usage at the end: OpenAI sends `"usage": null` in every other.
    var nullUsage = false

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(choices, forKey: .choices)
        if let usage { try c.encode(usage, forKey: .usage) } else if nullUsage { try c.encodeNil(forKey: .usage) }
    }
}

typealias CompletionResponse = ResponseEnvelope<CompletionChoice>
typealias ChatCompletionResponse = ResponseEnvelope<ChatChoice>

extension ResponseEnvelope where Choice == CompletionChoice {
    init(id: String, created: Int, model: String, choices: [CompletionChoice], usage: Usage? = nil, nullUsage: Bool = false) {
        self.init(id: id, object: "text_completion", created: created, model: model, choices: choices, usage: usage, nullUsage: nullUsage)
    }
}

/// Log-probabilities in the chat shape: one entry per answer token with its bytes and alternatives.
struct ChatLogprobs: Encodable {
    struct Alternative: Encodable {
        var token: String
        var logprob: Double
        var bytes: [UInt8]
    }

    struct Entry: Encodable {
        var token: String
        var logprob: Double
        var bytes: [UInt8]
        var topLogprobs: [Alternative]

        enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
    }

    var content: [Entry] = []

    mutating func append(_ scored: ScoredToken, served: ServedModel) {
        func alternative(_ token: Int32, _ logprob: Double) -> Alternative {
            Alternative(token: served.tokenText(token), logprob: logprob, bytes: served.tokenizer.decodeBytes([token]))
        }
        let own = alternative(scored.token, scored.logprob ?? 0)
        content.append(Entry(token: own.token, logprob: own.logprob, bytes: own.bytes,
                             topLogprobs: scored.top.map { alternative($0.token, $0.logprob) }))
    }
}

struct ChatMessageOut: Encodable {
    var role: String?
    var content: String?
}

/// A message (whole answers) or a delta (chunks), the other left out; logprobs and finish_reason null when
/// they have no value, as OpenAI sends them.
struct ChatChoice: Encodable {
    var index: Int
    var message: ChatMessageOut?
    var delta: ChatMessageOut?
    var logprobs: ChatLogprobs?
    var finishReason: String?

    enum CodingKeys: String, CodingKey { case index, message, delta, logprobs, finishReason = "finish_reason" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(delta, forKey: .delta)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

enum ResponseJSON {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Everything encoded here is strings, integers and finite doubles.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// `prefix-` and 24 random hex digits. Written from random bits directly: a UUID's string with its dashes
    /// taken out went through Foundation's string search, about 20 µs of every request.
    static func newId(_ prefix: String) -> String {
        var random = SystemRandomNumberGenerator()
        let high: UInt64 = random.next(), low: UInt32 = random.next()
        return prefix + "-" + hex(high, digits: 16) + hex(UInt64(low), digits: 8)
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: digits - text.count) + text
    }
}
