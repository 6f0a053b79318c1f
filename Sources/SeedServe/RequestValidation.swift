import Foundation
import SeedModel

/// Checks shared by the generation endpoints; each failure is a 400 naming the field.
enum RequestValidation {
    static let maxChoices = 16
    static let maxTopLogprobs = 20
    /// Sequences (prompts × n) that one request may start: each holds a stream and a task from the start, and
    /// a body of tiny prompts could otherwise ask for millions.
    static let maxSequences = 1024
    /// OpenAI takes at most 4 stop strings, vLLM any number; lm-evaluation-harness sends a task's `until`
    /// plus the end-of-text token, which can be more than 4.
    static let maxStopStrings = 16
    /// Characters per stop string: each generated token is checked against every prefix of every stop, so
    /// their length bounds the work a request makes per token.
    static let maxStopCharacters = 128

    static func checkModel(_ requested: String?, served: ServedModel) throws {
        if let requested, requested != served.name { throw APIError.unknownModel(requested, served: served.name) }
    }

    static func choices(_ n: Int?) throws -> Int {
        let n = n ?? 1
        guard (1...maxChoices).contains(n) else { throw APIError.invalidRequest("'n' must be between 1 and \(maxChoices) (got \(n))", param: "n") }
        return n
    }

    /// OpenAI's sampling fields as Seed's sampler takes them. Without a seed each request draws its own.
    static func sampling(temperature: Double?, topP: Double?, seed: Int?, choice: Int) throws -> SamplingParameters {
        let temperature = temperature ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw APIError.invalidRequest("'temperature' must be between 0 and 2 (got \(temperature))", param: "temperature")
        }
        if let topP, !(topP > 0 && topP <= 1) {
            throw APIError.invalidRequest("'top_p' must be in (0, 1] (got \(topP))", param: "top_p")
        }
        let base = seed.map { UInt64(bitPattern: Int64($0)) } ?? UInt64.random(in: 0...UInt64.max)
        // Choices of one request differ, and stay reproducible with a seed.
        return SamplingParameters(temperature: Float(temperature), topP: topP.map(Float.init), seed: base &+ UInt64(choice))
    }

    static func stopStrings(_ stop: StopStrings?) throws -> [String] {
        let strings = stop?.strings ?? []
        guard strings.count <= maxStopStrings else {
            throw APIError.invalidRequest("'stop' takes at most \(maxStopStrings) strings (got \(strings.count))", param: "stop")
        }
        // Bytes too: a character may be any number of combining scalars.
        if let long = strings.first(where: { $0.utf8.count > 4 * maxStopCharacters || $0.count > maxStopCharacters }) {
            throw APIError.invalidRequest("A stop string has at most \(maxStopCharacters) characters and \(4 * maxStopCharacters) bytes "
                                          + "(got \(long.count) and \(long.utf8.count))", param: "stop")
        }
        return strings
    }

    /// OpenAI and vLLM refuse `stream_options` on an answer that is not streamed.
    static func checkStreamOptions(_ options: StreamOptions?, stream: Bool?) throws {
        if options != nil && stream != true {
            throw APIError.invalidRequest("'stream_options' is only allowed when 'stream' is true", param: "stream_options")
        }
    }

    static func sequences(prompts: Int, choices: Int) throws {
        guard prompts * choices <= maxSequences else {
            throw APIError.invalidRequest("A request runs at most \(maxSequences) sequences, prompts times 'n' (got \(prompts) × \(choices))",
                                          param: "prompt")
        }
    }

    static func topLogprobs(_ k: Int?, param: String) throws -> Int? {
        if let k, !(0...maxTopLogprobs).contains(k) {
            throw APIError.invalidRequest("'\(param)' must be between 0 and \(maxTopLogprobs) (got \(k))", param: param)
        }
        return k
    }

    /// Token ids must exist, the prompt must not be empty, and prompt plus answer must fit the context.
    static func checkPrompt(_ prompt: [Int32], maxTokens: Int, served: ServedModel, param: String) throws {
        guard !prompt.isEmpty else { throw APIError.invalidRequest("The prompt is empty; send at least one token of text.", param: param) }
        let vocabulary = served.model.config.vocabSize
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
            throw APIError.invalidRequest("Token id \(bad) is outside the model's vocabulary of \(vocabulary).", param: param)
        }
        // Written so that it cannot overflow: `-Ounchecked` would let a max_tokens near Int.max wrap around.
        guard maxTokens <= served.context - prompt.count else {
            throw APIError.contextTooLong(prompt: prompt.count, requested: maxTokens, context: served.context, param: param)
        }
    }

    static func maxTokens(_ value: Int?, param: String, default fallback: Int) throws -> Int {
        let value = value ?? fallback
        guard value >= 0 else { throw APIError.invalidRequest("'\(param)' must not be negative (got \(value))", param: param) }
        return value
    }
}
