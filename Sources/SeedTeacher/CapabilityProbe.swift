import Foundation

/// Runs each probe once per session, however many workers reach it at the same moment.
actor ProbeGate {
    private var probes: [String: Task<Void, Error>] = [:]

    /// The parameters a probe checks; requests that share them share one probe.
    static func signature(_ r: TeacherRequest) -> String {
        let keys = ["model", "n", "logprobs", "top_logprobs", "response_format", "echo"]
        var fields = r.body.filter { keys.contains($0.key) }
        fields["endpoint"] = .string(r.endpoint.rawValue)
        fields["stream"] = .bool(r.stream)
        return JSONValue.object(fields).canonical
    }

    func once(signature: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        if let task = probes[signature] { return try await task.value }
        let task = Task { try await body() }
        probes[signature] = task
        try await task.value
    }
}

extension TeacherSession {
    /// Before the first request of a kind leaves, checks that the server does what the job asks rather than
    /// silently ignoring it (vLLM logs and drops unknown fields, Ollama has no `n`, llama.cpp serves one model
    /// under any name and has no echo): the model is listed, `n` gives n choices, logprobs come with as many
    /// alternatives as asked, `echo` returns the prompt, a JSON response format gives JSON. A missing usage chunk in a stream is not refused: such
    /// answers are charged at their reservation. The probe is a small request of its own, ledgered and
    /// charged like any other.
    func probe(like request: TeacherRequest) async throws {
        let models: [String]
        do {
            models = try await client.models()
        } catch TeacherError.api(let status, _) where status == 404 {
            models = []  // some proxies have no /models: the probe request itself still checks the rest
        }
        if !models.isEmpty && !models.contains(config.model) {
            throw TeacherError.unsupported(teacher: config.name, reason: "the server does not serve model \"\(config.model)\" (it lists \(models.prefix(10).joined(separator: ", "))); set `model` to one of those")
        }
        var probe = request
        let wantsJSON = request.body["response_format"]?["type"]?.string.map { $0 != "text" } ?? false
        let text = wantsJSON ? "Answer with the JSON object {\"ok\": true}." : "Say OK."
        if probe.endpoint == .chat {
            probe.body["messages"] = .array([ChatMessage(role: "user", content: text).json])
            probe.promptTokenBound = TokenBound.chat([ChatMessage(role: "user", content: text)])
        } else {
            probe.body["prompt"] = .string(text)
            probe.promptTokenBound = TokenBound.text(text)
        }
        // Enough tokens for a short JSON object, never more than the job's own requests.
        probe.maxTokens = min(request.maxTokens, 16)
        probe.body["max_tokens"] = .int(Int64(probe.maxTokens))
        probe.sampleIndex = -1
        let answer = try await call(probe, key: probe.hash(baseURL: client.baseURL), cache: false)
        let choices = answer.response.choices
        if request.n > 1 && choices.count != request.n {
            throw TeacherError.unsupported(teacher: config.name, reason: "asked for n=\(request.n) choices, the server gave \(choices.count); set n: 1 and use `samples` instead")
        }
        if request.endpoint == .chat, request.body["logprobs"]?.bool == true {
            guard let tokens = choices.first?.logprobs?["content"]?.array, !tokens.isEmpty else {
                throw TeacherError.unsupported(teacher: config.name, reason: "logprobs were asked for and the server sent none")
            }
            let asked = Int(request.body["top_logprobs"]?.int ?? 0)
            let most = tokens.map { $0["top_logprobs"]?.array?.count ?? 0 }.max() ?? 0
            if asked > 0 && most < asked {
                throw TeacherError.unsupported(teacher: config.name, reason: "top_logprobs \(asked) was asked for and the server sent at most \(most) alternatives per token")
            }
        }
        if request.endpoint == .completions, request.body["echo"]?.bool == true, let first = choices.first, !first.text.hasPrefix(text) {
            throw TeacherError.unsupported(teacher: config.name, reason: "echo was asked for and the server did not return the prompt (llama.cpp, for one, has no echo)")
        }
        if wantsJSON, let first = choices.first, (try? JSONValue.parse(first.text)) == nil, first.finishReason != "length" {
            throw TeacherError.unsupported(teacher: config.name, reason: "response_format asks for JSON and the server answered plain text (it ignores response_format)")
        }
    }
}
