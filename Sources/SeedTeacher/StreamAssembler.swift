import Foundation

/// Reads a server-sent-event stream of completion chunks and rebuilds the non-streamed answer: texts and
/// logprobs appended per choice, the usage from the last chunk that carries one (the `include_usage`
/// chunk comes just before `[DONE]`). A stream that ends without `[DONE]` was cut and is an error: it is
/// never cached.
struct StreamAssembler {
    let endpoint: TeacherRequest.Endpoint
    private var pending: [UInt8] = []
    private var done = false
    private var id: JSONValue = .null
    private var model: JSONValue = .null
    private var created: JSONValue = .null
    private var fingerprint: JSONValue = .null
    private var usage: JSONValue = .null
    private var texts: [Int: String] = [:]
    private var finishReasons: [Int: JSONValue] = [:]
    private var logprobs: [Int: [JSONValue]] = [:]
    /// Completions-endpoint logprobs arrive as parallel arrays; kept per field.
    private var completionLogprobs: [Int: [String: [JSONValue]]] = [:]

    init(endpoint: TeacherRequest.Endpoint) { self.endpoint = endpoint }

    mutating func feed(_ bytes: some Sequence<UInt8>) throws {
        pending.append(contentsOf: bytes)
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            try line(pending[start..<newline])
            start = newline + 1
        }
        pending.removeFirst(start)
    }

    private mutating func line(_ raw: ArraySlice<UInt8>) throws {
        var text = raw
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        guard text.starts(with: Array("data:".utf8)) else { return }  // comments, `event:`, blank separators
        let payload = String(decoding: text.dropFirst(5), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if payload == "[DONE]" { done = true; return }
        guard let chunk = try? JSONValue.parse(payload) else { throw TeacherError.malformed("a stream event is not JSON") }
        if let error = chunk["error"], error != .null {
            let body = APIErrorBody(parsing: Array(payload.utf8))
            throw TeacherError.api(status: Int(error["code"]?.int ?? 500), body)
        }
        if id == .null, let v = chunk["id"] { id = v }
        if let v = chunk["model"], v != .null { model = v }
        if created == .null, let v = chunk["created"] { created = v }
        if let v = chunk["system_fingerprint"], v != .null { fingerprint = v }
        if let v = chunk["usage"], v != .null { usage = v }
        for (k, c) in (chunk["choices"]?.array ?? []).enumerated() {
            let index = Int(c["index"]?.int ?? Int64(k))
            let piece = endpoint == .chat ? c["delta"]?["content"]?.string : c["text"]?.string
            texts[index, default: ""] += piece ?? ""
            if let reason = c["finish_reason"], reason != .null { finishReasons[index] = reason }
            if endpoint == .chat, let content = c["logprobs"]?["content"]?.array {
                logprobs[index, default: []] += content
            } else if endpoint == .completions, let lp = c["logprobs"]?.object {
                for (field, value) in lp { completionLogprobs[index, default: [:]][field, default: []] += value.array ?? [] }
            }
        }
    }

    func finish() throws -> JSONValue {
        guard done else { throw TeacherError.transport("the stream ended before [DONE]") }
        let choices: [JSONValue] = texts.keys.sorted().map { i in
            var choice: [String: JSONValue] = ["index": .int(Int64(i)), "finish_reason": finishReasons[i] ?? .null]
            if endpoint == .chat {
                choice["message"] = .object(["role": "assistant", "content": .string(texts[i]!)])
                choice["logprobs"] = logprobs[i].map { .object(["content": .array($0)]) } ?? .null
            } else {
                choice["text"] = .string(texts[i]!)
                choice["logprobs"] = completionLogprobs[i].map { .object($0.mapValues(JSONValue.array)) } ?? .null
            }
            return .object(choice)
        }
        return .object([
            "id": id, "object": .string(endpoint == .chat ? "chat.completion" : "text_completion"), "created": created,
            "model": model, "system_fingerprint": fingerprint, "choices": .array(choices), "usage": usage,
        ])
    }
}
