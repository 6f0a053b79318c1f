import Foundation
import Hummingbird
import SeedModel
import SeedTokenizer

/// `POST /v1/chat/completions`: the conversation through the model's chat template, answers until the
/// end-of-turn token, a stop string or the token limit.
struct ChatCompletionsEndpoint: Sendable {
    let served: ServedModel
    let engine: GenerationEngine
    let metrics: ServerMetrics

    func respond(to body: Data) async throws -> Response {
        let request = try RequestDecoding.decode(ChatCompletionRequest.self, from: body)
        try RequestValidation.checkModel(request.model, served: served)
        guard !request.messages.isEmpty else { throw APIError.invalidRequest("'messages' is empty; send at least one message", param: "messages") }
        let n = try RequestValidation.choices(request.n)
        try RequestValidation.checkStreamOptions(request.streamOptions, stream: request.stream)
        let topLogprobs = try RequestValidation.topLogprobs(request.topLogprobs, param: "top_logprobs")
        let wantsLogprobs = request.logprobs ?? false
        if topLogprobs != nil && !wantsLogprobs {
            throw APIError.invalidRequest("'top_logprobs' needs 'logprobs': true", param: "top_logprobs")
        }
        let messages = request.messages.map { ChatMessage(role: $0.role, content: $0.content?.text ?? "") }
        let prompt = try served.chatPrompt(messages)
        // Without a limit the answer may fill the rest of the context.
        let limit = request.maxCompletionTokens ?? request.maxTokens
        let param = request.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        let maxTokens = try RequestValidation.maxTokens(limit, param: param, default: max(0, served.context - prompt.count))
        try RequestValidation.checkPrompt(prompt, maxTokens: maxTokens, served: served, param: "messages")
        let stops = served.chatStops
        let stopStrings = try RequestValidation.stopStrings(request.stop) + stops.strings

        let plans = try (0..<n).map { j in
            let sampling = try RequestValidation.sampling(temperature: request.temperature, topP: request.topP, seed: request.seed, choice: j)
            return ChoicePlan(index: j, request: GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling, stopTokens: stops.tokens,
                                                                   topLogprobs: wantsLogprobs ? (topLogprobs ?? 0) : nil),
                              stopStrings: stopStrings)
        }
        let context = ResponseContext(id: ResponseJSON.newId("chatcmpl"), created: Int(Date().timeIntervalSince1970), model: served.name)
        let started = ContinuousClock.now
        let metrics = metrics
        let events = ChoiceStream.run(plans, engine: engine, served: served) {
            metrics.recordFirstToken(seconds: (ContinuousClock.now - started).seconds)
        }
        // Counted once however many choices there are, as OpenAI bills it.
        let promptTokens = prompt.count

        if request.stream ?? false {
            let includeUsage = request.streamOptions?.includeUsage ?? false
            let served = served
            let textChunk = TextChunkJSON(context, object: "chat.completion.chunk", nullUsage: includeUsage)
            return ServerSentEvents.response(ServerSentEvents.produce { out in
                func chunk(_ choices: [ChatChoice], usage: Usage? = nil) -> Data {
                    ResponseJSON.encode(ChatCompletionResponse(id: context.id, object: "chat.completion.chunk", created: context.created,
                                                               model: context.model, choices: choices, usage: usage, nullUsage: includeUsage))
                }
                for j in 0..<n { out.yield(chunk([ChatChoice(index: j, delta: ChatMessageOut(role: "assistant", content: ""))])) }
                var completion = 0
                for try await (index, event) in events {
                    switch event {
                    case .prompt: continue
                    case .text(let text, let tokens):
                        guard wantsLogprobs else {
                            out.yield(textChunk.chatDelta(index: index, content: text))
                            continue
                        }
                        var entries = ChatLogprobs()
                        for t in tokens { entries.append(t, served: served) }
                        out.yield(chunk([ChatChoice(index: index, delta: ChatMessageOut(content: text), logprobs: entries)]))
                    case .finished(let reason, let tokens, _):
                        completion += tokens
                        out.yield(chunk([ChatChoice(index: index, delta: ChatMessageOut(), finishReason: reason.rawValue)]))
                    }
                }
                metrics.recordTokens(prompt: promptTokens, generated: completion)
                if includeUsage { out.yield(chunk([], usage: Usage(promptTokens: promptTokens, completionTokens: completion))) }
            })
        }

        return try await JSONResponse.whileGenerating {
            var choices = (0..<n).map { j in
                ChatChoice(index: j, message: ChatMessageOut(role: "assistant", content: ""), logprobs: wantsLogprobs ? ChatLogprobs() : nil)
            }
            var completion = 0
            for try await (index, event) in events {
                switch event {
                case .prompt: continue
                case .text(let text, let tokens):
                    choices[index].message?.content? += text
                    for t in tokens { choices[index].logprobs?.append(t, served: served) }
                case .finished(let reason, let tokens, _):
                    completion += tokens
                    choices[index].finishReason = reason.rawValue
                }
            }
            metrics.recordTokens(prompt: promptTokens, generated: completion)
            let response = ChatCompletionResponse(id: context.id, object: "chat.completion", created: context.created, model: context.model,
                                                  choices: choices, usage: Usage(promptTokens: promptTokens, completionTokens: completion))
            return ResponseJSON.encode(response)
        }
    }
}
