import Foundation
import SeedPrivacy

/// Evol-Instruct's rewrites (Xu et al. 2024), in-depth and in-breadth.
public enum EvolveOperation: String, CaseIterable, Sendable {
    case constraints, deepening, concretizing, reasoning, breadth

    var instruction: String {
        switch self {
        case .constraints: return "Add one more constraint or requirement to the prompt."
        case .deepening: return "Make the prompt ask about the issue in more depth and breadth."
        case .concretizing: return "Replace general concepts in the prompt with more specific ones."
        case .reasoning: return "If the prompt can be solved with a few simple steps, rewrite it to explicitly ask for multiple steps of reasoning."
        case .breadth: return "Write a brand new prompt in the same domain as the given one, but about a rarer topic of similar length and difficulty."
        }
    }
}

/// Rewrites each prompt `rounds` times with an operation chosen per prompt and round from the seed; a
/// rewrite that fails the eliminator (empty, unchanged, a refusal, template words leaking in) keeps the
/// prompt of the round before, as WizardLM returns failed evolutions to the pool.
struct EvolveInstruct {
    let config: EvolveConfig
    let job: DistillJob

    func run() async throws -> [Prompt] {
        var prompts = try PromptSource.read(path: config.prompts).map(\.lastUserText)
        let session = try job.session(config.stage.teacher)
        for round in 0..<config.rounds {
            let current = prompts
            prompts = try await orderedConcurrentMap(current, limit: session.config.limits.maxInFlight) { k, prompt in
                var rng = SplitMix(seed: config.randomSeed ^ (UInt64(k) << 8 | UInt64(round)) &* 0x9E37_79B9_7F4A_7C15)
                let operation = config.operations[rng.below(config.operations.count)]
                let request = TeacherRequest.chat(model: session.config.model,
                                                  messages: try job.outgoing([ChatMessage(role: "user", content: Self.rewritePrompt(prompt, operation))], system: config.stage.system),
                                                  sampling: config.stage.sampling, sampleIndex: round)
                let answer = try await session.answer(request)
                let text = try job.restore(answer.response.choices.first?.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                return Self.eliminated(text, original: prompt, truncated: answer.response.choices.first?.finishReason == "length") ? prompt : text
            }
        }
        return prompts.map { Prompt($0) }
    }

    static func rewritePrompt(_ prompt: String, _ operation: EvolveOperation) -> String {
        """
        You are a prompt rewriter. Rewrite the given prompt into a more complex version that a person can still \
        understand and answer. \(operation.instruction) Add at most 10 to 20 words. Reply with the rewritten prompt only.

        Given prompt:
        \(prompt)
        """
    }

    static func eliminated(_ text: String, original: String, truncated: Bool) -> Bool {
        let lower = text.lowercased()
        let leaks = ["given prompt", "rewritten prompt", "#rewritten", "prompt rewriter"]
        let refusals = ["sorry", "i'm sorry", "i cannot", "as an ai"]
        return truncated || text.count < 8 || text == original || leaks.contains(where: lower.contains)
            || refusals.contains(where: lower.hasPrefix)
    }
}
