import Foundation
import SeedTeacher
import SeedTeacherStub
import XCTest

/// A scratch folder, a stub teacher on loopback and helpers to build sessions and jobs against it.
class StubTestCase: XCTestCase {
    var scratch: URL!
    var stub: StubTeacher!

    override func setUp() async throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seed-teacher-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stub = StubTeacher()
        try await stub.start()
    }

    override func tearDown() async throws {
        await stub.stop()
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    let environment = ["TEACHER_KEY": "test-key", "SEED_VAULT_KEY": Data((0..<32).map { UInt8($0) }).base64EncodedString()]

    func teacher(maxInFlight: Int = 16, prices: Prices = Prices(inputPerMillion: 1, outputPerMillion: 2), allowsTraining: Bool = true) -> TeacherConfig {
        var t = TeacherConfig(name: "local", baseURL: stub.baseURL, apiKeyEnv: "TEACHER_KEY", model: "fake-teacher", prices: prices,
                              limits: RateLimiter.Limits(requestsPerMinute: nil, tokensPerMinute: nil, maxInFlight: maxInFlight),
                              terms: Terms(id: "example-terms", url: "https://example.com/terms", allowsTraining: allowsTraining))
        t.retryBaseSeconds = 0.001
        t.timeoutSeconds = 5
        return t
    }

    func session(_ config: TeacherConfig? = nil, budgetUSD: Double? = nil, store: TeacherStore? = nil) throws -> TeacherSession {
        let store = try store ?? TeacherStore(path: path("teacher-\(UUID().uuidString).sqlite"))
        try store.openBudget("default", limitNano: budgetUSD.map { Int64($0 * 1e9) }, limitTokens: nil)
        return try TeacherSession(config: config ?? teacher(), store: store, budgetName: "default", environment: environment)
    }

    func chat(_ text: String, maxTokens: Int = 16, sample: Int = 0, configure: (inout Sampling) -> Void = { _ in }) -> TeacherRequest {
        var s = Sampling()
        s.temperature = 0.7
        s.maxTokens = maxTokens
        configure(&s)
        return TeacherRequest.chat(model: "fake-teacher", messages: [ChatMessage(role: "user", content: text)], sampling: s, sampleIndex: sample)
    }

    /// The smallest job of the issue, pointed at the stub, plus `extra` YAML lines under `job:`.
    func jobYAML(prompts: String = "prompts.jsonl", budget: String = "{usd: 0.05}", generate: String = "{teacher: local, temperature: 0.7, max_tokens: 64}",
                 extraJob: String = "", extraTop: String = "", teacherExtra: String = "retry_base_s: 0.001", maxInFlight: Int = 16) -> String {
        """
        teachers:
          local:
            base_url: \(stub.baseURL)
            api_key_env: TEACHER_KEY
            model: fake-teacher
            prices: {input_per_million: 1.0, output_per_million: 2.0}
            limits: {requests_per_minute: 600000, max_in_flight: \(maxInFlight)}
            terms: {id: example-terms, url: https://example.com/terms, allows_training: true}
            \(teacherExtra)
        budget: \(budget)
        job:
          source: {prompts: \(prompts)}
          generate: \(generate)
          output: distilled.jsonl
        \(extraJob)
        \(extraTop)
        """
    }

    func writePrompts(_ count: Int, name: String = "prompts.jsonl") throws {
        try write(name, (0..<count).map { "{\"prompt\": \"Question number \($0) about rivers\"}" }.joined(separator: "\n") + "\n")
    }

    func job(_ yaml: String) throws -> DistillJob {
        try write("job.yaml", yaml)
        return try DistillJob(config: try DistillConfig.load(path: path("job.yaml")), environment: environment)
    }

    func runJob(_ yaml: String) async throws -> JobSummary {
        let j = try job(yaml)
        do {
            let s = try await j.run()
            await j.shutdown()
            return s
        } catch {
            await j.shutdown()
            throw error
        }
    }

    func records(_ name: String = "distilled.jsonl") throws -> [JSONValue] {
        try read(name).split(separator: "\n").map { try JSONValue.parse(String($0)) }
    }
}
