import Foundation
@testable import SeedTeacher
import XCTest

final class ConfigTests: XCTestCase {
    static let smallest = """
        teachers:
          local:
            base_url: http://127.0.0.1:18080/v1
            api_key_env: TEACHER_KEY
            model: fake-teacher
            prices: {input_per_million: 1.0, output_per_million: 2.0}
            limits: {requests_per_minute: 6000, max_in_flight: 16}
            terms: {id: example-terms, url: https://example.com/terms, allows_training: true}
        budget: {usd: 0.05}
        job:
          source: {prompts: prompts.jsonl}      # one {"prompt": "..."} or {"messages": [...]} per line
          generate: {teacher: local, temperature: 0.7, max_tokens: 64}
          output: distilled.jsonl
        """

    func testTheIssuesSmallestJobParses() throws {
        let c = try DistillConfig.parse(Self.smallest, baseDirectory: "/data/jobs")
        let t = try XCTUnwrap(c.teachers["local"])
        XCTAssertEqual(t.baseURL, "http://127.0.0.1:18080/v1")
        XCTAssertEqual(t.apiKeyEnv, "TEACHER_KEY")
        XCTAssertEqual(t.prices, Prices(inputPerMillion: 1, outputPerMillion: 2))
        XCTAssertEqual(t.limits, RateLimiter.Limits(requestsPerMinute: 6000, tokensPerMinute: nil, maxInFlight: 16))
        XCTAssertEqual(t.terms, Terms(id: "example-terms", url: "https://example.com/terms", allowsTraining: true))
        XCTAssertEqual(c.budget.usd, 0.05)
        guard case .prompts(let p) = c.source else { return XCTFail("source") }
        XCTAssertEqual(p, "/data/jobs/prompts.jsonl")
        XCTAssertEqual(c.output, "/data/jobs/distilled.jsonl")
        XCTAssertEqual(c.state, "/data/jobs/seed-state")
        XCTAssertEqual(c.generate.teacher, "local")
        XCTAssertEqual(c.generate.sampling.temperature, 0.7)
        XCTAssertEqual(c.generate.sampling.maxTokens, 64)
        XCTAssertNil(c.judge)
        XCTAssertNil(c.privacy)
        XCTAssertEqual(t.maxTokensField, .maxTokens)
        let reasoning = try DistillConfig.parse(Self.smallest.replacingOccurrences(of: "model: fake-teacher", with: "model: fake-teacher\n    max_tokens_field: max_completion_tokens"),
                                                baseDirectory: "/tmp")
        XCTAssertEqual(reasoning.teachers["local"]?.maxTokensField, .maxCompletionTokens)
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try DistillConfig.parse(yaml, baseDirectory: "/tmp")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testBadValuesAndUnknownKeysNameTheKey() {
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "temperature: 0.7", with: "temperature: hot")),
                       #"job.generate.temperature: expected a number, got "hot""#)
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "temperature: 0.7", with: "temprature: 0.7")),
                       "job.generate.temprature: unknown key (allowed here: \(StageConfig.samplingKeys.joined(separator: ", ")))")
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "max_tokens: 64", with: "max_tokens: 0")),
                       "job.generate.max_tokens: expected a whole number from 1 to 1000000, got 0")
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "teacher: local", with: "teacher: remote")),
                       #"job.generate.teacher: no teacher named "remote" (teachers: local)"#)
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "allows_training: true", with: "allows_training: maybe")),
                       #"teachers.local.terms.allows_training: expected true or false, got "maybe""#)
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "budget: {usd: 0.05}", with: "budget: {usd: 0.05, eur: 1}")),
                       "budget.eur: unknown key (allowed here: usd, tokens, name)")
        XCTAssertTrue(error(Self.smallest.replacingOccurrences(of: "api_key_env: TEACHER_KEY", with: "api_key_env: TEACHER_KEY\n    api_key: sk-123"))
            .hasPrefix("teachers.local.api_key: API keys never go in files"))
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "    terms: {id: example-terms, url: https://example.com/terms, allows_training: true}\n", with: "")),
                       "teachers.local.terms: required")
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "source: {prompts: prompts.jsonl}", with: "source: {prompts: a, evolve: {}}")),
                       "job.source: expected exactly one of prompts, self_instruct, evolve")
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "base_url: http://127.0.0.1:18080/v1", with: "base_url: localhost")),
                       #"teachers.local.base_url: expected an http(s) URL such as http://127.0.0.1:8000/v1, got "localhost""#)
        XCTAssertEqual(error(Self.smallest.replacingOccurrences(of: "model: fake-teacher", with: "model: fake-teacher\n    max_tokens_field: max_length")),
                       "teachers.local.max_tokens_field: takes max_tokens or max_completion_tokens, not max_length")
        XCTAssertEqual(error("teachers: [1, 2]"), "teachers: expected a mapping, got a list")
        XCTAssertTrue(error("teachers: {a: [}").contains("not valid YAML"))
    }

    func testStagesSourcesAndPrivacyParse() throws {
        let yaml = Self.smallest.replacingOccurrences(of: "  source: {prompts: prompts.jsonl}      # one {\"prompt\": \"...\"} or {\"messages\": [...]} per line", with: """
              source:
                evolve: {prompts: p.jsonl, teacher: local, rounds: 2, operations: [deepening, breadth]}
              judge: {teacher: local, threshold: 7}
            """).replacingOccurrences(of: "max_tokens: 64}", with: "max_tokens: 64, top_logprobs: 5, stop: END, response_format: json_object, samples: 3, stream: true}")
            + "\nprivacy: {vault: vault.sqlite}\n"
        let c = try DistillConfig.parse(yaml, baseDirectory: "/j")
        guard case .evolve(let e) = c.source else { return XCTFail("source") }
        XCTAssertEqual(e.rounds, 2)
        XCTAssertEqual(e.operations, [.deepening, .breadth])
        XCTAssertEqual(c.judge?.threshold, 7)
        XCTAssertEqual(c.judge?.stage.sampling.temperature, 0)
        XCTAssertEqual(c.generate.sampling.topLogprobs, 5)
        XCTAssertTrue(c.generate.sampling.logprobs)
        XCTAssertEqual(c.generate.sampling.stop, ["END"])
        XCTAssertEqual(c.generate.sampling.responseFormat, ["type": "json_object"])
        XCTAssertTrue(c.generate.sampling.stream)
        XCTAssertEqual(c.generate.samples, 3)
        XCTAssertEqual(c.privacy?.vault, "/j/vault.sqlite")
        XCTAssertEqual(c.privacy?.keyEnv, "SEED_VAULT_KEY")
    }
}
