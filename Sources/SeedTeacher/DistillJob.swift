import Foundation

public struct JobProgress: Sendable {
    public var itemsDone: Int
    public var items: Int
    public var records: Int
    public var counters: SessionCounters.Snapshot
    public var seconds: Double

    /// Items per second of this run, and the seconds left at that pace.
    public var rate: Double { seconds > 0 ? Double(itemsDone) / seconds : 0 }
    public var etaSeconds: Double { rate > 0 ? Double(items - itemsDone) / rate : .infinity }
}

public struct JobSummary: Sendable {
    /// Records this run appended, and all records now in the output.
    public var recordsWritten: Int
    public var recordsInOutput: Int
    public var items: Int
    public var failedItems: Int
    public var droppedByJudge: Int
    public var counters: SessionCounters.Snapshot
    /// Everything the budget has been charged so far, over all runs that share it.
    public var budgetSpentUSD: Double
    public var budgetLimitUSD: Double?
    public var seconds: Double
    /// Why the job stopped early (budget, quota, server), nil when it finished.
    public var stoppedBy: TeacherError?
}

/// `seed distill`: prompts from the source, answers from the teacher (optionally judged), written as chat
/// records with their provenance, in prompt order. Crash safety comes from two facts: every answer is in
/// the cache (committed with its spend) before its record is written, and a record names its request. A
/// rerun trims a torn last line, skips the requests whose records the output holds, and replays what was
/// answered but not yet written from the cache; only requests that were in flight are sent again.
public final class DistillJob: @unchecked Sendable {
    public let config: DistillConfig
    let store: TeacherStore
    private let environment: [String: String]
    private var sessions: [String: TeacherSession] = [:]
    private let sessionLock = NSLock()
    private let privacy: PrivacyFilter?
    private let failures = JobFailures()

    public init(config: DistillConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.config = config
        self.environment = environment
        do {
            try FileManager.default.createDirectory(atPath: config.state, withIntermediateDirectories: true)
        } catch {
            throw TeacherError.io(path: config.state, reason: "cannot create the state folder: \(error.localizedDescription)")
        }
        store = try TeacherStore(path: URL(fileURLWithPath: config.state).appendingPathComponent("teacher.sqlite").path)
        try store.openBudget(config.budget.name, limitNano: config.budget.usd.map { Int64(($0 * 1e9).rounded(.down)) },
                             limitTokens: config.budget.tokens.map(Int64.init))
        privacy = try config.privacy.map { try PrivacyFilter($0, environment: environment) }
    }

    /// The session of a teacher, made on first use: a teacher the job never calls needs no API key.
    func session(_ name: String) throws -> TeacherSession {
        sessionLock.lock()
        defer { sessionLock.unlock() }
        if let s = sessions[name] { return s }
        guard let teacher = config.teachers[name] else { throw TeacherError.config(key: "teachers", reason: "no teacher named \"\(name)\"") }
        let s = try TeacherSession(config: teacher, store: store, budgetName: config.budget.name, environment: environment)
        sessions[name] = s
        return s
    }

    private var allSessions: [TeacherSession] { sessionLock.withLock { Array(sessions.values) } }

    public func shutdown() async {
        for s in allSessions { await s.shutdown() }
    }

    var counters: SessionCounters.Snapshot { allSessions.map(\.counters.snapshot).reduce(SessionCounters.Snapshot(), +) }

    struct Item {
        var prompt: Prompt
        var request: TeacherRequest
        var hash: String
    }

    /// The requests of the answer stage, in output order: each prompt, each of its samples.
    func plan() async throws -> [Item] {
        let prompts: [Prompt]
        switch config.source {
        case .prompts(let path): prompts = try PromptSource.read(path: path)
        case .selfInstruct(let c): prompts = try await SelfInstruct(config: c, job: self).run()
        case .evolve(let c): prompts = try await EvolveInstruct(config: c, job: self).run()
        }
        let stage = config.generate
        let session = try session(stage.teacher)
        return try prompts.flatMap { prompt in
            let outgoing = try self.outgoing(prompt.messages, system: stage.system)
            return (0..<stage.samples).map { s in
                let request = TeacherRequest.chat(model: session.config.model, messages: outgoing, sampling: stage.sampling, sampleIndex: s)
                return Item(prompt: prompt, request: request, hash: request.hash(baseURL: session.client.baseURL))
            }
        }
    }

    /// Messages as they leave: the stage's system message first, then desensitized if the job asks.
    func outgoing(_ messages: [ChatMessage], system: String?) throws -> [ChatMessage] {
        var m = messages
        if let system, m.first?.role != "system" { m.insert(ChatMessage(role: "system", content: system), at: 0) }
        return try privacy?.desensitize(m) ?? m
    }

    func restore(_ text: String) throws -> String { try privacy?.restore(text) ?? text }

    public func run(progress: @escaping @Sendable (JobProgress) -> Void = { _ in }) async throws -> JobSummary {
        let start = Date()
        let items: [Item]
        do {
            items = try await plan()
        } catch let error as TeacherError where Self.stopsJobGracefully(error) {
            return try summary(start: start, items: 0, written: 0, inOutput: 0, stoppedBy: error)
        }
        let (resume, handle) = try OutputResume.open(path: config.output)
        let planned = Set(items.map(\.hash))
        let foreign = resume.present.keys.filter { !planned.contains($0) }.count
        guard foreign == 0 else {
            try? handle.close()
            throw TeacherError.io(path: config.output, reason: "\(foreign) of its requests are not this job's (another job, or changed prompts or sampling wrote it); move the file away or set job.output")
        }
        // Requests whose records are all in the output are done; with n > 1 a request is gone over again
        // (from the cache) for the choices it lacks, since the judge may have dropped the others.
        let todo = items.indices.filter { resume.present[items[$0].hash] == nil || config.generate.sampling.n > 1 }
        let generate = try session(config.generate.teacher)
        let judge = try config.judge.map { ($0, try session($0.stage.teacher)) }
        let concurrency = generate.config.limits.maxInFlight
        let writer = OrderedWriter(path: config.output, handle: handle, window: concurrency * 4)
        let done = ProgressCounter()

        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for (position, index) in todo.enumerated() {
                if failures.fatal != nil { break }
                await writer.waitForRoom(position)
                if failures.fatal != nil { break }
                if running >= concurrency {
                    await group.next()
                    running -= 1
                }
                group.addTask {
                    await self.process(items[index], position: position, skip: resume.present[items[index].hash] ?? [], generate: generate,
                                       judge: judge, writer: writer)
                    let n = done.increment()
                    progress(JobProgress(itemsDone: n, items: todo.count, records: await writer.recordsWritten,
                                         counters: self.counters, seconds: Date().timeIntervalSince(start)))
                }
                running += 1
            }
        }
        if failures.fatal != nil { try await writer.flushAll() }
        let written = await writer.recordsWritten
        await writer.close()
        if let fatal = failures.fatal, !Self.stopsJobGracefully(fatal) { throw fatal }
        return try summary(start: start, items: items.count, written: written, inOutput: resume.records + written, stoppedBy: failures.fatal)
    }

    /// Budget and quota end a job with its finished records kept and a summary; other errors are failures.
    static func stopsJobGracefully(_ error: TeacherError) -> Bool {
        switch error {
        case .budgetExhausted, .insufficientQuota: return true
        default: return false
        }
    }

    private func summary(start: Date, items: Int, written: Int, inOutput: Int, stoppedBy: TeacherError?) throws -> JobSummary {
        let budget = try store.budget(config.budget.name)
        return JobSummary(recordsWritten: written, recordsInOutput: inOutput, items: items, failedItems: failures.failedItems,
                          droppedByJudge: failures.dropped, counters: counters, budgetSpentUSD: budget.spentUSD,
                          budgetLimitUSD: config.budget.usd, seconds: Date().timeIntervalSince(start), stoppedBy: stoppedBy)
    }

    private func process(_ item: Item, position: Int, skip: Set<Int>, generate: TeacherSession, judge: (JudgeConfig, TeacherSession)?,
                         writer: OrderedWriter) async {
        do {
            let answer = try await generate.answer(item.request)
            var lines: [String] = []
            for choice in answer.response.choices where !skip.contains(choice.index) {
                var record: [String: JSONValue] = [:]
                let text = try restore(choice.text)
                record["messages"] = .array((item.prompt.messages + [ChatMessage(role: "assistant", content: text)]).map(\.json))
                if let (judgeConfig, judgeSession) = judge {
                    let verdict = try await Judge.score(question: item.request, answer: choice.text, config: judgeConfig, session: judgeSession)
                    guard verdict.score >= judgeConfig.threshold else {
                        failures.drop()
                        continue
                    }
                    record["judge"] = .object(["score": .double(verdict.score), "request_sha256": .string(verdict.requestHash)])
                }
                if config.generate.sampling.logprobs, let logprobs = choice.logprobs {
                    record["logprobs"] = logprobs["content"] ?? logprobs
                }
                record["seed"] = provenance(answer, session: generate, choice: answer.response.choices.count > 1 ? choice.index : nil)
                lines.append(JSONValue.object(record).canonical)
            }
            try await writer.submit(position, lines: lines)
        } catch let error as TeacherError where Self.failsOnlyThisItem(error) {
            failures.failItem()
            try? await writer.submit(position, lines: [])
        } catch {
            failures.setFatal(error as? TeacherError ?? .io(path: config.output, reason: "\(error)"))
            await writer.releaseAll()
        }
    }

    /// A request the server refuses as such (too long, invalid for this model) is skipped and counted; the
    /// job goes on. Authentication, missing models and the like stop it.
    static func failsOnlyThisItem(_ error: TeacherError) -> Bool {
        if case let .api(status, _) = error { return [400, 413, 422].contains(status) }
        return false
    }

    func provenance(_ answer: TeacherSession.Answer, session: TeacherSession, choice: Int?) -> JSONValue {
        var seed: [String: JSONValue] = [
            "teacher": .string(session.config.name),
            "model": .string(answer.response.servedModel ?? session.config.model),
            "base_url_host": .string(session.client.host),
            "terms": session.config.terms.json,
            "request_sha256": .string(answer.requestHash),
            "created": .string(answer.created),
        ]
        if let fingerprint = answer.response.systemFingerprint { seed["system_fingerprint"] = .string(fingerprint) }
        if let choice { seed["choice"] = .int(Int64(choice)) }
        return .object(seed)
    }
}

/// The first error that stops the job, and counts of items that did not make it into the output.
final class JobFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var first: TeacherError?
    private var failed = 0
    private var droppedCount = 0

    var fatal: TeacherError? { lock.withLock { first } }
    var failedItems: Int { lock.withLock { failed } }
    var dropped: Int { lock.withLock { droppedCount } }

    func setFatal(_ e: TeacherError) { lock.withLock { if first == nil { first = e } } }
    func failItem() { lock.withLock { failed += 1 } }
    func drop() { lock.withLock { droppedCount += 1 } }
}

final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0

    func increment() -> Int { lock.withLock { n += 1; return n } }
}
