import Foundation
import Hummingbird
import SeedModel

/// `POST /v1/completions`: OpenAI's legacy completions, including what lm-evaluation-harness's
/// `local-completions` relies on: token-id prompts, batches of prompts, and `echo` with `logprobs`, which
/// returns one entry per prompt token (the first null) followed by the generated ones.
struct CompletionsEndpoint: Sendable {
    let served: ServedModel
    let engine: GenerationEngine
    let metrics: ServerMetrics

    /// OpenAI's default answer length for this endpoint.
    static let defaultMaxTokens = 16

    func respond(to body: Data) async throws -> Response {
        let request = try RequestDecoding.decode(CompletionRequest.self, from: body)
        try RequestValidation.checkModel(request.model, served: served)
        let n = try RequestValidation.choices(request.n)
        try RequestValidation.checkStreamOptions(request.streamOptions, stream: request.stream)
        let maxTokens = try RequestValidation.maxTokens(request.maxTokens, param: "max_tokens", default: Self.defaultMaxTokens)
        let topLogprobs = try RequestValidation.topLogprobs(request.logprobs, param: "logprobs")
        let stops = try RequestValidation.stopStrings(request.stop)
        let echo = request.echo ?? false
        let prompts: [[Int32]]
        switch request.prompt {
        case .texts(let texts): prompts = texts.map { served.tokenizer.encode($0, allowedSpecial: .all) }
        case .tokens(let lists): prompts = lists
        }
        guard !prompts.isEmpty else { throw APIError.invalidRequest("'prompt' is an empty list", param: "prompt") }
        try RequestValidation.sequences(prompts: prompts.count, choices: n)
        for prompt in prompts { try RequestValidation.checkPrompt(prompt, maxTokens: maxTokens, served: served, param: "prompt") }

        var plans: [ChoicePlan] = []
        for (p, prompt) in prompts.enumerated() {
            for j in 0..<n {
                let sampling = try RequestValidation.sampling(temperature: request.temperature, topP: request.topP, seed: request.seed, choice: j)
                let generation = GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling, stopTokens: served.endOfTextTokens,
                                                   topLogprobs: topLogprobs, scorePrompt: echo && topLogprobs != nil)
                plans.append(ChoicePlan(index: p * n + j, request: generation, stopStrings: stops))
            }
        }
        // Each prompt counted once however many choices read it, as OpenAI bills it.
        let promptTokens = prompts.reduce(0) { $0 + $1.count }
        let context = ResponseContext(id: ResponseJSON.newId("cmpl"), created: Int(Date().timeIntervalSince1970), model: served.name)
        let started = ContinuousClock.now
        let metrics = metrics
        let events = ChoiceStream.run(plans, engine: engine, served: served) {
            metrics.recordFirstToken(seconds: (ContinuousClock.now - started).seconds)
        }
        let promptFor = { (index: Int) in prompts[index / n] }
        let promptText = { [served] (index: Int) in served.tokenizer.decode(promptFor(index), skipSpecialTokens: false) }
        let characters = { [served] (tokens: [Int32]) in CompletionLogprobs.characters(in: served.tokenizer.decodeBytes(tokens)) }
        if request.stream ?? false {
            let includeUsage = request.streamOptions?.includeUsage ?? false
            let served = served
            let textChunk = TextChunkJSON(context, object: "text_completion", nullUsage: includeUsage)
            let echoedAlone = echo && topLogprobs == nil ? plans.map(\.index) : []
            return ServerSentEvents.response(ServerSentEvents.produce { out in
                // Without logprobs nothing scores the prompt, so no prompt event comes: its text goes out first.
                for index in echoedAlone {
                    out.yield(textChunk.completion(index: index, text: promptText(index)))
                }
                var completion = 0
                // Where each choice's next token starts, in characters of the text the client has received.
                var offsets = [Int: Int]()
                // Log-probabilities that continue a choice's text from where the client's copy ends.
                func continuing(_ index: Int) -> CompletionLogprobs {
                    CompletionLogprobs(startOffset: offsets[index] ?? (echo ? 0 : characters(promptFor(index))))
                }
                for try await (index, event) in events {
                    var choice = CompletionChoice(index: index, text: "")
                    switch event {
                    case .prompt(let scored):
                        guard echo else { continue }
                        var entries = CompletionLogprobs(startOffset: 0)
                        for s in scored { entries.append(s, served: served) }
                        offsets[index] = entries.offset
                        choice.text = promptText(index)
                        choice.logprobs = entries
                    case .text(let text, let tokens):
                        guard topLogprobs != nil else {
                            out.yield(textChunk.completion(index: index, text: text))
                            continue
                        }
                        choice.text = text
                        var entries = continuing(index)
                        for t in tokens { entries.append(t, served: served) }
                        offsets[index] = entries.offset
                        choice.logprobs = entries
                    case .finished(let reason, let tokens, let endToken):
                        completion += tokens
                        choice.finishReason = reason.rawValue
                        if let endToken, topLogprobs != nil {
                            var entries = continuing(index)
                            entries.append(endToken, served: served, inText: false)
                            choice.logprobs = entries
                        }
                    }
                    out.yield(ResponseJSON.encode(CompletionResponse(id: context.id, created: context.created, model: context.model, choices: [choice],
                                                                     nullUsage: includeUsage)))
                }
                metrics.recordTokens(prompt: promptTokens, generated: completion)
                if includeUsage {
                    out.yield(ResponseJSON.encode(CompletionResponse(id: context.id, created: context.created, model: context.model, choices: [],
                                                                     usage: Usage(promptTokens: promptTokens, completionTokens: completion))))
                }
            })
        }

        return try await JSONResponse.whileGenerating { [plans] in
            var choices = plans.map { plan -> CompletionChoice in
                var choice = CompletionChoice(index: plan.index, text: echo ? promptText(plan.index) : "")
                if topLogprobs != nil {
                    choice.logprobs = CompletionLogprobs(startOffset: echo ? 0 : characters(promptFor(plan.index)))
                }
                return choice
            }
            var completion = 0
            for try await (index, event) in events {
                switch event {
                case .prompt(let scored):
                    for s in scored { choices[index].logprobs?.append(s, served: served) }
                case .text(let text, let tokens):
                    choices[index].text += text
                    for t in tokens { choices[index].logprobs?.append(t, served: served) }
                case .finished(let reason, let tokens, let endToken):
                    completion += tokens
                    choices[index].finishReason = reason.rawValue
                    if let endToken { choices[index].logprobs?.append(endToken, served: served, inText: false) }
                }
            }
            metrics.recordTokens(prompt: promptTokens, generated: completion)
            let response = CompletionResponse(id: context.id, created: context.created, model: context.model, choices: choices,
                                              usage: Usage(promptTokens: promptTokens, completionTokens: completion))
            return ResponseJSON.encode(response)
        }
    }
}

struct ResponseContext: Sendable {
    var id: String
    var created: Int
    var model: String
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
