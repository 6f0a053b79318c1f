import Foundation

/// Token counts as the server reported them.
public struct Usage: Hashable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// One choice of an answer: its text, why it stopped, and its logprobs as the server sent them.
public struct Choice: Hashable, Sendable {
    public var index: Int
    public var text: String
    public var finishReason: String?
    /// Chat: `{"content": [{token, logprob, bytes, top_logprobs}]}`; completions: `{tokens, token_logprobs, ...}`.
    public var logprobs: JSONValue?
}

/// A complete answer. `raw` is the chat.completion (or text_completion) object exactly as stored in the
/// cache; a streamed answer is stored in that same non-streamed shape.
public struct TeacherResponse: Sendable {
    public var raw: JSONValue
    public var servedModel: String?
    public var systemFingerprint: String?
    public var choices: [Choice]
    public var usage: Usage?

    public init(raw: JSONValue) throws {
        guard raw.object != nil else { throw TeacherError.malformed("the answer is not a JSON object") }
        self.raw = raw
        servedModel = raw["model"]?.string
        systemFingerprint = raw["system_fingerprint"]?.string
        guard let list = raw["choices"]?.array else { throw TeacherError.malformed("no `choices` in the answer") }
        choices = try list.enumerated().map { k, c in
            let text = c["message"]?["content"]?.string ?? c["text"]?.string
            // An empty or null content is a valid (if useless) answer, e.g. a reasoning model cut by length;
            // it must not crash the job (distilabel #1178), so only a missing message is an error.
            guard text != nil || c["message"] != nil else { throw TeacherError.malformed("choice \(k) has neither message nor text") }
            let logprobs = c["logprobs"].flatMap { $0 == .null ? nil : $0 }
            return Choice(index: Int(c["index"]?.int ?? Int64(k)), text: text ?? "", finishReason: c["finish_reason"]?.string, logprobs: logprobs)
        }
        if let u = raw["usage"], let p = u["prompt_tokens"]?.int, let c = u["completion_tokens"]?.int {
            usage = Usage(promptTokens: Int(p), completionTokens: Int(c))
        }
    }
}
