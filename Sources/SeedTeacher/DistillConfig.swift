import Foundation

public struct BudgetConfig: Sendable {
    public var usd: Double?
    public var tokens: Int?
    /// Jobs with the same state folder and budget name share one budget.
    public var name = "default"

    public init(usd: Double? = nil, tokens: Int? = nil) {
        self.usd = usd
        self.tokens = tokens
    }
}

/// A stage that asks a teacher: which one, and how to sample.
public struct StageConfig: Sendable {
    public var teacher: String
    public var sampling: Sampling
    /// Independent samples per prompt (each its own request and cache entry).
    public var samples = 1
    public var system: String?

    static let samplingKeys = ["teacher", "temperature", "top_p", "max_tokens", "n", "stop", "seed", "logprobs", "top_logprobs",
                               "response_format", "stream", "samples", "system"]

    static func parse(_ m: [String: ConfigNode], path: String, defaults: Sampling = Sampling()) throws -> StageConfig {
        guard let t = m["teacher"] else { throw TeacherError.config(key: "\(path).teacher", reason: "required (the name of one of `teachers`)") }
        var s = defaults
        if let n = m["temperature"] { s.temperature = try n.double(in: 0...2) }
        if let n = m["top_p"] { s.topP = try n.double(in: 0...1) }
        if let n = m["max_tokens"] { s.maxTokens = try n.int(in: 1...1_000_000) }
        if let n = m["n"] { s.n = try n.int(in: 1...128) }
        if let n = m["stop"] {
            s.stop = try n.strings()
            if s.stop.count > 4 { throw n.fail("at most 4 stop sequences") }
        }
        if let n = m["seed"] { s.seed = Int64(try n.int()) }
        if let n = m["logprobs"] { s.logprobs = try n.bool() }
        if let n = m["top_logprobs"] {
            s.topLogprobs = try n.int(in: 0...20)
            s.logprobs = true
        }
        if let n = m["response_format"] {
            // `json_object` for short; a mapping is sent as it is (e.g. a json_schema).
            if let name = n.value as? String {
                guard ["text", "json_object"].contains(name) else { throw n.fail("expected text, json_object or a mapping, got \"\(name)\"") }
                s.responseFormat = .object(["type": .string(name)])
            } else {
                s.responseFormat = try n.json()
                guard s.responseFormat?["type"]?.string != nil else { throw n.fail("a mapping needs `type` (json_object or json_schema)") }
            }
        }
        if let n = m["stream"] { s.stream = try n.bool() }
        var stage = StageConfig(teacher: try t.string(), sampling: s)
        if let n = m["samples"] { stage.samples = try n.int(in: 1...10_000) }
        if let n = m["system"] { stage.system = try n.string() }
        return stage
    }
}

public struct JudgeConfig: Sendable {
    public var stage: StageConfig
    /// Records scoring below this (1 to 10) are dropped.
    public var threshold: Double
}

public struct SelfInstructConfig: Sendable {
    public var seeds: String
    public var count: Int
    public var stage: StageConfig
    /// Example tasks shown per request (Self-Instruct's 8: 6 seeds and 2 generated).
    public var perPrompt = 8
    public var rougeThreshold = 0.7
    /// Rounds of requests at most, for a teacher that keeps repeating itself; the budget bounds it too.
    public var maxRounds: Int
    public var randomSeed: UInt64 = 0
}

public struct EvolveConfig: Sendable {
    public var prompts: String
    public var rounds = 1
    public var stage: StageConfig
    public var operations: [EvolveOperation] = EvolveOperation.allCases
    public var randomSeed: UInt64 = 0
}

public enum Source: Sendable {
    case prompts(String)
    case selfInstruct(SelfInstructConfig)
    case evolve(EvolveConfig)
}

public struct PrivacyConfig: Sendable {
    public var vault: String
    public var policy: String?
    /// The variable with the vault key (SeedPrivacy's SEED_VAULT_KEY by default).
    public var keyEnv = "SEED_VAULT_KEY"
}

/// A whole `seed distill` job, paths already made absolute against the configuration file's folder.
public struct DistillConfig: Sendable {
    public var teachers: [String: TeacherConfig]
    public var budget: BudgetConfig
    public var source: Source
    public var generate: StageConfig
    public var judge: JudgeConfig?
    public var output: String
    /// Folder of the teacher store (budget, cache, ledger); default `seed-state` beside the configuration.
    public var state: String
    public var privacy: PrivacyConfig?

    public static func load(path: String) throws -> DistillConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw TeacherError.io(path: path, reason: "cannot read the job file") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(String(decoding: data, as: UTF8.self), baseDirectory: base, path: path)
    }

    public static func parse(_ yaml: String, baseDirectory: String, path: String = "job") throws -> DistillConfig {
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : URL(fileURLWithPath: baseDirectory).appendingPathComponent(p).standardized.path }
        let root = try ConfigNode.load(yaml: yaml, path: path).mapping(allowed: ["teachers", "budget", "job", "privacy"])
        guard let teachersNode = root["teachers"] else { throw TeacherError.config(key: "teachers", reason: "required (at least one teacher)") }
        var teachers: [String: TeacherConfig] = [:]
        for (name, node) in try teachersNode.mapping() { teachers[name] = try TeacherConfig.parse(node, name: name) }
        guard !teachers.isEmpty else { throw teachersNode.fail("at least one teacher is required") }

        var budget = BudgetConfig()
        if let b = try root["budget"]?.mapping(allowed: ["usd", "tokens", "name"]) {
            budget.usd = try b["usd"]?.double(in: 0...1e9)
            budget.tokens = try b["tokens"]?.int(in: 0...Int.max)
            if let n = b["name"] { budget.name = try n.string() }
        }
        guard let jobNode = root["job"] else { throw TeacherError.config(key: "job", reason: "required") }
        let job = try jobNode.mapping(allowed: ["source", "generate", "judge", "output", "state"])
        func need(_ key: String) throws -> ConfigNode {
            guard let n = job[key] else { throw TeacherError.config(key: "job.\(key)", reason: "required") }
            return n
        }
        func checkTeacher(_ stage: StageConfig, _ path: String) throws {
            guard teachers[stage.teacher] != nil else {
                throw TeacherError.config(key: "\(path).teacher", reason: "no teacher named \"\(stage.teacher)\" (teachers: \(teachers.keys.sorted().joined(separator: ", ")))")
            }
        }
        let generate = try StageConfig.parse(try need("generate").mapping(allowed: StageConfig.samplingKeys), path: "job.generate")
        try checkTeacher(generate, "job.generate")
        var judge: JudgeConfig?
        if let j = job["judge"] {
            let m = try j.mapping(allowed: StageConfig.samplingKeys + ["threshold"])
            var defaults = Sampling()
            defaults.temperature = 0
            defaults.maxTokens = 8
            let stage = try StageConfig.parse(m, path: "job.judge", defaults: defaults)
            try checkTeacher(stage, "job.judge")
            guard let t = m["threshold"] else { throw TeacherError.config(key: "job.judge.threshold", reason: "required (a score from 1 to 10)") }
            judge = JudgeConfig(stage: stage, threshold: try t.double(in: 1...10))
        }
        let source = try parseSource(try need("source"), resolve: resolve, checkTeacher: checkTeacher)
        var config = DistillConfig(teachers: teachers, budget: budget, source: source, generate: generate, judge: judge,
                                   output: resolve(try need("output").string()), state: resolve("seed-state"), privacy: nil)
        if let s = job["state"] { config.state = resolve(try s.string()) }
        if let p = try root["privacy"]?.mapping(allowed: ["vault", "policy", "key_env"]) {
            guard let vault = p["vault"] else { throw TeacherError.config(key: "privacy.vault", reason: "required (the vault file that maps surrogates back)") }
            var privacy = PrivacyConfig(vault: resolve(try vault.string()))
            privacy.policy = try p["policy"].map { resolve(try $0.string()) }
            if let k = p["key_env"] { privacy.keyEnv = try k.string() }
            config.privacy = privacy
        }
        return config
    }

    private static func parseSource(_ node: ConfigNode, resolve: (String) -> String, checkTeacher: (StageConfig, String) throws -> Void) throws -> Source {
        let m = try node.mapping(allowed: ["prompts", "self_instruct", "evolve"])
        guard m.count == 1, let (kind, value) = m.first else { throw node.fail("expected exactly one of prompts, self_instruct, evolve") }
        switch kind {
        case "prompts":
            return .prompts(resolve(try value.string()))
        case "self_instruct":
            let s = try value.mapping(allowed: StageConfig.samplingKeys + ["seeds", "count", "per_prompt", "rouge_threshold", "max_rounds", "random_seed"])
            var defaults = Sampling()
            defaults.temperature = 0.7
            defaults.topP = 0.5
            defaults.maxTokens = 1024
            let stage = try StageConfig.parse(s, path: value.path, defaults: defaults)
            try checkTeacher(stage, value.path)
            guard let seeds = s["seeds"] else { throw TeacherError.config(key: "\(value.path).seeds", reason: "required (a JSONL of seed tasks)") }
            guard let count = s["count"] else { throw TeacherError.config(key: "\(value.path).count", reason: "required (how many new instructions)") }
            let n = try count.int(in: 1...10_000_000)
            var c = SelfInstructConfig(seeds: resolve(try seeds.string()), count: n, stage: stage, maxRounds: max(10, n / 4))
            if let v = s["per_prompt"] { c.perPrompt = try v.int(in: 1...32) }
            if let v = s["rouge_threshold"] { c.rougeThreshold = try v.double(in: 0...1) }
            if let v = s["max_rounds"] { c.maxRounds = try v.int(in: 1...10_000_000) }
            if let v = s["random_seed"] { c.randomSeed = UInt64(try v.int(in: 0...Int.max)) }
            return .selfInstruct(c)
        default:
            let e = try value.mapping(allowed: StageConfig.samplingKeys + ["prompts", "rounds", "operations", "random_seed"])
            var defaults = Sampling()
            defaults.temperature = 0.7
            defaults.maxTokens = 512
            let stage = try StageConfig.parse(e, path: value.path, defaults: defaults)
            try checkTeacher(stage, value.path)
            guard let prompts = e["prompts"] else { throw TeacherError.config(key: "\(value.path).prompts", reason: "required (a JSONL of prompts to evolve)") }
            var c = EvolveConfig(prompts: resolve(try prompts.string()), stage: stage)
            if let v = e["rounds"] { c.rounds = try v.int(in: 1...10) }
            if let v = e["operations"] {
                c.operations = try v.list().map { n in
                    guard let op = EvolveOperation(rawValue: try n.string()) else {
                        throw n.fail("expected one of \(EvolveOperation.allCases.map(\.rawValue).joined(separator: ", ")), got \(ConfigNode.show(n.value))")
                    }
                    return op
                }
                if c.operations.isEmpty { throw v.fail("at least one operation") }
            }
            if let v = e["random_seed"] { c.randomSeed = UInt64(try v.int(in: 0...Int.max)) }
            return .evolve(c)
        }
    }
}
