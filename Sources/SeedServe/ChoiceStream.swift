import Foundation
import SeedModel
import SeedTokenizer

/// What one choice of a response has to say next: its scored prompt, a piece of answer text with the
/// tokens that made it, or its end.
enum ChoiceEvent: Sendable {
    case prompt([ScoredToken])
    case text(String, tokens: [ScoredToken])
    /// `endToken`: the stop token that ended the answer, for the completions' log-probabilities.
    case finished(FinishReason, completionTokens: Int, endToken: ScoredToken?)
}

/// One choice to generate: the engine request and the stop strings applied to its text.
struct ChoicePlan: Sendable {
    var index: Int
    var request: GenerationRequest
    var stopStrings: [String]
}

/// Runs the choices of a request on the engine and merges their events into one stream, tagged with the
/// choice index (see `ChoiceDecoder`). Ending the stream early (the client went away, or the handler's
/// task was cancelled) cancels every choice, which removes its sequence from the engine.
enum ChoiceStream {
    static func run(_ plans: [ChoicePlan], engine: GenerationEngine, served: ServedModel,
                    onFirstToken: @escaping @Sendable () -> Void) -> AsyncThrowingStream<(Int, ChoiceEvent), Error> {
        let firstToken = FirstTime(onFirstToken)
        if plans.count == 1 { return single(plans[0], engine: engine, served: served, firstToken: firstToken) }
        let (merged, continuation) = AsyncThrowingStream<(Int, ChoiceEvent), Error>.makeStream()
        let remaining = Countdown(plans.count)
        // Submitted together, so that the engine reads their common prompt once.
        let streams = engine.submit(plans.map(\.request))
        let tasks = zip(plans, streams).map { plan, events in
            Task {
                do {
                    var choice = ChoiceDecoder(plan, served: served)
                    for try await event in events {
                        if event.isGeneratedToken { firstToken.fire() }
                        for out in choice.handle(event) { continuation.yield((plan.index, out)) }
                        if choice.done { break }
                    }
                    // The engine ends a stream without `.finished` only when this task was cancelled.
                    guard choice.done else { throw CancellationError() }
                    if remaining.finishOne() { continuation.finish() }
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
        if plans.isEmpty { continuation.finish() }
        continuation.onTermination = { _ in tasks.forEach { $0.cancel() } }
        return merged
    }

    /// One choice (the usual request) needs no merging: its events are made in the consumer's own task as
    /// it asks for them, which saves a task switch per token. The consumer going away (its task cancelled,
    /// the stream dropped) ends the engine's stream and so the sequence.
    private static func single(_ plan: ChoicePlan, engine: GenerationEngine, served: ServedModel,
                               firstToken: FirstTime) -> AsyncThrowingStream<(Int, ChoiceEvent), Error> {
        let source = SingleChoice(plan, engine: engine, served: served, firstToken: firstToken)
        return AsyncThrowingStream { try await source.next() }
    }
}

/// What one choice's engine events become: text through a streaming decoder (a character split across
/// tokens is sent whole), cut by the stop strings.
struct ChoiceDecoder {
    private var decoder: StreamingDecoder
    private var stops: StopMatcher
    private var heldTokens: [ScoredToken] = []
    private var endToken: ScoredToken?
    private var generated = 0
    private(set) var done = false

    init(_ plan: ChoicePlan, served: ServedModel) {
        decoder = served.tokenizer.streamingDecoder(skipSpecialTokens: true)
        stops = StopMatcher(plan.stopStrings)
    }

    mutating func handle(_ event: GenerationEvent) -> [ChoiceEvent] {
        switch event {
        case .prompt(let scored):
            return [.prompt(scored)]
        case .token(let scored):
            generated += 1
            heldTokens.append(scored)
            let (release, stopped) = stops.append(String(decoding: decoder.append(scored.token), as: UTF8.self))
            if stopped {
                done = true
                return [.text(release, tokens: heldTokens), .finished(.stop, completionTokens: generated, endToken: nil)]
            }
            // One event per token (text may be empty: part of a character), unless the text might begin
            // a stop string and has to wait for the next token.
            guard !release.isEmpty || !stops.isHolding else { return [] }
            defer { heldTokens = [] }
            return [.text(release, tokens: heldTokens)]
        case .endToken(let scored):
            endToken = scored
            return []
        case .finished(let reason):
            done = true
            let (release, stopped) = stops.append(String(decoding: decoder.flush(), as: UTF8.self))
            let rest = stopped ? release : release + stops.flush()
            var out: [ChoiceEvent] = []
            if !rest.isEmpty || !heldTokens.isEmpty { out.append(.text(rest, tokens: heldTokens)) }
            // The stop token counts as generated, as vLLM and OpenAI count it, unless a stop string found in the
            // held text ended the answer before it: then it neither counts nor shows.
            let end = stopped ? nil : endToken
            out.append(.finished(stopped ? .stop : reason, completionTokens: generated + (end == nil ? 0 : 1), endToken: end))
            return out
        }
    }
}

/// The single choice's state between two `next` calls; only the consuming task touches it.
private final class SingleChoice: @unchecked Sendable {
    private let index: Int
    private let firstToken: FirstTime
    /// Dropped as soon as the choice is done: a stop string ends the sequence in the engine at once.
    private var events: AsyncThrowingStream<GenerationEvent, Error>.AsyncIterator?
    private var choice: ChoiceDecoder
    private var ready: [ChoiceEvent] = []

    init(_ plan: ChoicePlan, engine: GenerationEngine, served: ServedModel, firstToken: FirstTime) {
        index = plan.index
        self.firstToken = firstToken
        events = engine.submit(plan.request).makeAsyncIterator()
        choice = ChoiceDecoder(plan, served: served)
    }

    func next() async throws -> (Int, ChoiceEvent)? {
        while ready.isEmpty {
            guard !choice.done, events != nil else { return nil }
            guard let event = try await events?.next() else {
                // The engine ends a stream without `.finished` only when this task was cancelled.
                throw CancellationError()
            }
            if event.isGeneratedToken { firstToken.fire() }
            ready = choice.handle(event)
            if choice.done { events = nil }
        }
        return (index, ready.removeFirst())
    }
}

/// Calls its action the first time `fire` is called, from whichever task gets there first.
private final class FirstTime: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (@Sendable () -> Void)?

    init(_ action: @escaping @Sendable () -> Void) { self.action = action }

    func fire() {
        lock.lock()
        let run = action
        action = nil
        lock.unlock()
        run?()
    }
}

private final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int

    init(_ count: Int) { left = count }

    /// True for the call that brings the count to zero.
    func finishOne() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        left -= 1
        return left == 0
    }
}

extension GenerationEvent {
    /// A token the model generated, the stop token included: what time to first token waits for.
    var isGeneratedToken: Bool {
        switch self {
        case .token, .endToken: return true
        case .prompt, .finished: return false
        }
    }
}
