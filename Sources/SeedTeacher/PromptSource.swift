import Foundation

/// One prompt of a job: the messages to send (a chat record's trailing answers removed).
public struct Prompt: Hashable, Sendable {
    public var messages: [ChatMessage]

    public init(messages: [ChatMessage]) { self.messages = messages }
    public init(_ text: String) { messages = [ChatMessage(role: "user", content: text)] }

    public var lastUserText: String { messages.last(where: { $0.role == "user" })?.content ?? messages.last?.content ?? "" }
}

public enum PromptSource {
    /// Reads `{"prompt": "..."}` or `{"messages": [...]}` lines (other keys are ignored, so the output of
    /// `seed desensitize` or a chat dataset can be used as it is). Blank lines are skipped.
    public static func read(path: String) throws -> [Prompt] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TeacherError.io(path: path, reason: "cannot read the prompts file") }
        var prompts: [Prompt] = []
        for (k, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            prompts.append(try parse(Data(line), path: path, line: k + 1))
        }
        return prompts
    }

    static func parse(_ line: Data, path: String, line number: Int) throws -> Prompt {
        func bad(_ reason: String) -> TeacherError { .badInput(path: path, line: number, reason: reason) }
        guard let json = try? JSONValue.parse(line) else { throw bad("not valid JSON") }
        if let text = json["prompt"]?.string ?? json["instruction"]?.string {
            guard !text.isEmpty else { throw bad("the prompt is empty") }
            return Prompt(text)
        }
        guard let list = json["messages"]?.array else { throw bad("expected {\"prompt\": \"...\"} or {\"messages\": [...]}") }
        var messages = try list.enumerated().map { i, m -> ChatMessage in
            guard let role = m["role"]?.string, let content = m["content"]?.string else {
                throw bad("messages[\(i)] needs string `role` and `content`")
            }
            return ChatMessage(role: role, content: content)
        }
        while messages.last?.role == "assistant" { messages.removeLast() }
        guard !messages.isEmpty else { throw bad("no message left to answer") }
        return Prompt(messages: messages)
    }
}
