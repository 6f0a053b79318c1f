import Foundation
import SeedModel
import SeedTokenizer

/// What one choice of a response has to say next: its scored prompt, a piece of answer text with the
/// tokens that made it, or its end.
enum ChoiceEvent: Sendable {
    case prompt([ScoredToken])
    case text(String, tokens: [ScoredToken])
    case finished(FinishReason, completionTokens: Int)
}

/// One choice to generate: the engine request and the stop strings applied to its text.
struct ChoicePlan: Sendable {
    var index: Int
    var request: GenerationRequest
    var stopStrings: [String]
}

/// Runs the choices of a request on the engine and merges their events into one stream, tagged with the
/// choice index. Tokens become text through a streaming decoder (a character split across tokens is sent
/// whole) and stop strings cut the text. Ending the merged stream early (the client went away, or the
/// handler's task was cancelled) cancels every choice, which removes its sequence from the engine.
enum ChoiceStream {
    static func run(_ plans: [ChoicePlan], engine: GenerationEngine, served: ServedModel,
                    onFirstToken: @escaping @Sendable () -> Void) -> AsyncThrowingStream<(Int, ChoiceEvent), Error> {
        let (merged, continuation) = AsyncThrowingStream<(Int, ChoiceEvent), Error>.makeStream()
        let firstToken = FirstTime(onFirstToken)
        let remaining = Countdown(plans.count)
        let tasks = plans.map { plan in
            Task {
                do {
                    try await runChoice(plan, engine: engine, served: served, firstToken: firstToken) { continuation.yield((plan.index, $0)) }
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

    private static func runChoice(_ plan: ChoicePlan, engine: GenerationEngine, served: ServedModel, firstToken: FirstTime,
                                  emit: (ChoiceEvent) -> Void) async throws {
        var decoder = served.tokenizer.streamingDecoder(skipSpecialTokens: true)
        var stops = StopMatcher(plan.stopStrings)
        var heldTokens: [ScoredToken] = []
        var generated = 0
        for try await event in engine.submit(plan.request) {
            switch event {
            case .prompt(let scored):
                emit(.prompt(scored))
            case .token(let scored):
                firstToken.fire()
                generated += 1
                heldTokens.append(scored)
                let (release, stopped) = stops.append(String(decoding: decoder.append(scored.token), as: UTF8.self))
                if stopped {
                    emit(.text(release, tokens: heldTokens))
                    emit(.finished(.stop, completionTokens: generated))
                    return
                }
                // One event per token (text may be empty: part of a character), unless the text might begin
                // a stop string and has to wait for the next token.
                if !release.isEmpty || !stops.isHolding {
                    emit(.text(release, tokens: heldTokens))
                    heldTokens = []
                }
            case .finished(let reason):
                let (release, stopped) = stops.append(String(decoding: decoder.flush(), as: UTF8.self))
                let rest = stopped ? release : release + stops.flush()
                if !rest.isEmpty || !heldTokens.isEmpty { emit(.text(rest, tokens: heldTokens)) }
                emit(.finished(stopped ? .stop : reason, completionTokens: generated))
                return
            }
        }
        // The engine ends a stream without `.finished` only when this task was cancelled.
        throw CancellationError()
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
