import Foundation
import SeedPrivacy

/// Teacher-as-judge: the teacher scores each answer from 1 to 10 and the job keeps those at or above the
/// threshold. The judge sees the same desensitized text that the generator saw.
enum Judge {
    struct Verdict {
        var score: Double
        var requestHash: String
    }

    static func prompt(question: String, answer: String) -> String {
        """
        Rate how well the answer below responds to the question: correct, complete, clear and helpful. \
        Use a scale from 1 (useless) to 10 (excellent). Reply with the number only.

        Question:
        \(question)

        Answer:
        \(answer)
        """
    }

    static func score(question: TeacherRequest, answer: String, config: JudgeConfig, session: TeacherSession) async throws -> Verdict {
        let messages = question.body["messages"]?.array ?? []
        let asked = messages.last(where: { $0["role"]?.string == "user" })?["content"]?.string ?? ""
        let request = TeacherRequest.chat(model: session.config.model, messages: [ChatMessage(role: "user", content: prompt(question: asked, answer: answer))],
                                          sampling: config.stage.sampling)
        let verdict = try await session.answer(request)
        return Verdict(score: parseScore(verdict.response.choices.first?.text ?? ""), requestHash: verdict.requestHash)
    }

    /// The first number in the reply ("8", "Score: 8/10", "8.5"); 0 when there is none, so that an answer
    /// the judge would not score is dropped.
    static func parseScore(_ text: String) -> Double {
        var digits = ""
        for ch in text {
            if ch.isASCII && (ch.isNumber || (ch == "." && !digits.isEmpty && !digits.contains("."))) {
                digits.append(ch)
            } else if !digits.isEmpty {
                break
            }
        }
        if digits.hasSuffix(".") { digits.removeLast() }
        return Double(digits).map { min($0, 10) } ?? 0
    }
}

/// Runs `body` over `items` with at most `limit` at a time and returns the results in the items' order.
func orderedConcurrentMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (Int, T) async throws -> R) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        while next < min(limit, items.count) {
            let k = next
            group.addTask { (k, try await body(k, items[k])) }
            next += 1
        }
        while let (k, r) = try await group.next() {
            results[k] = r
            if next < items.count {
                let k2 = next
                group.addTask { (k2, try await body(k2, items[k2])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}

/// The job's deterministic choices (which seed tasks, which evolution) come from SeedPrivacy's SplitMix64.
extension SplitMix {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
