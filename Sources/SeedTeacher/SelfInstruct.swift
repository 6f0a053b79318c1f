import Foundation
import SeedPrivacy

/// Self-Instruct (Wang et al. 2023): the teacher is shown a few tasks, 6 from the seeds and 2 of its own
/// earlier ones, and asked for more; new instructions pass Self-Instruct's filters and the near-duplicate
/// check. Rounds run one after another (each may show tasks of the previous one), each round's requests
/// together; with the cache, a rerun replays the same rounds and gets the same instructions.
struct SelfInstruct {
    let config: SelfInstructConfig
    let job: DistillJob
    static let blacklist = ["image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps", "draw",
                            "plot", "go to", "video", "audio", "music", "flowchart", "diagram"]

    func run() async throws -> [Prompt] {
        let seeds = try PromptSource.read(path: config.seeds).map(\.lastUserText)
        guard !seeds.isEmpty else { throw TeacherError.badInput(path: config.seeds, line: 1, reason: "no seed tasks") }
        let session = try job.session(config.stage.teacher)
        var dedup = Deduplicator(threshold: config.rougeThreshold)
        for s in seeds { _ = dedup.insert(s) }
        var made: [String] = []
        let perRound = min(session.config.limits.maxInFlight, 8)
        var round = 0
        while made.count < config.count && round < config.maxRounds {
            let first = round * perRound
            let prompts = (0..<perRound).map { k in examples(seeds: seeds, machine: made, request: first + k) }
            let answers = try await orderedConcurrentMap(prompts, limit: perRound) { k, prompt in
                let request = TeacherRequest.chat(model: session.config.model, messages: try job.outgoing([ChatMessage(role: "user", content: prompt.text)], system: config.stage.system),
                                                  sampling: config.stage.sampling, sampleIndex: first + k)
                return (try await session.answer(request), prompt.next)
            }
            for (answer, next) in answers {
                // An answer cut by the length limit ends in a half-written task (Self-Instruct drops those too).
                guard let choice = answer.response.choices.first else { continue }
                for instruction in Self.parse(try job.restore(choice.text), first: next, truncated: choice.finishReason == "length")
                where made.count < config.count && Self.acceptable(instruction) && dedup.insert(instruction) {
                    made.append(instruction)
                }
            }
            round += 1
        }
        return made.map { Prompt($0) }
    }

    /// The prompt of request `request`: numbered example tasks, ending with the number the teacher goes on from.
    func examples(seeds: [String], machine: [String], request: Int) -> (text: String, next: Int) {
        var rng = SplitMix(seed: config.randomSeed ^ UInt64(request) &* 0x9E37_79B9_7F4A_7C15)
        let fromMachine = min(2, machine.count, config.perPrompt / 4)
        var chosen: [String] = []
        var pool = seeds
        while chosen.count < config.perPrompt - fromMachine && !pool.isEmpty { chosen.append(pool.remove(at: rng.below(pool.count))) }
        var machinePool = machine
        for _ in 0..<fromMachine { chosen.append(machinePool.remove(at: rng.below(machinePool.count))) }
        var text = "Come up with a series of tasks:\n"
        for (k, task) in chosen.enumerated() { text += "\(k + 1). \(task.replacingOccurrences(of: "\n", with: " "))\n" }
        text += "\(chosen.count + 1)."
        return (text, chosen.count + 1)
    }

    /// Numbered lines of the reply; the first line continues the number the prompt ended with.
    static func parse(_ reply: String, first: Int, truncated: Bool) -> [String] {
        var tasks: [String] = []
        var lines = reply.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        if truncated, !lines.isEmpty { lines.removeLast() }
        for (k, line) in lines.enumerated() {
            var body = Substring(line)
            if let dot = body.firstIndex(where: { $0 == "." || $0 == ")" }), body[..<dot].allSatisfy(\.isNumber), dot > body.startIndex {
                body = body[body.index(after: dot)...]
            } else if k > 0 {
                continue  // text between tasks, not a task
            }
            let task = body.trimmingCharacters(in: .whitespaces)
            if !task.isEmpty { tasks.append(task) }
        }
        return tasks
    }

    /// Self-Instruct's filters: 4 to 150 words, nothing a text model cannot do, no program-writing, and no
    /// instruction that starts with punctuation or a non-ASCII character.
    static func acceptable(_ instruction: String) -> Bool {
        let words = instruction.split(whereSeparator: \.isWhitespace)
        guard (4...150).contains(words.count), let first = instruction.unicodeScalars.first else { return false }
        guard first.isASCII, !CharacterSet.punctuationCharacters.contains(first) else { return false }
        let lower = instruction.lowercased()
        if lower.hasPrefix("write a program") { return false }
        let tokens = Set(Deduplicator.tokens(lower))
        return !blacklist.contains { $0.contains(" ") ? lower.contains($0) : tokens.contains($0) }
    }
}
