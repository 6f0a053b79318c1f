import Foundation

/// Everything that can go wrong in SeedTeacher, each saying what happened and what to do about it.
public enum TeacherError: Error, CustomStringConvertible, Equatable {
    /// A configuration value is missing or wrong; `key` is its dotted path (`job.generate.temperature`).
    case config(key: String, reason: String)
    case missingAPIKey(variable: String, teacher: String)
    /// The server answered with an error body (OpenAI's shape or vLLM's, whose `code` is the status number).
    case api(status: Int, APIErrorBody)
    /// A 429 that a retry would not cure: the account has no quota or credit left.
    case insufficientQuota(String)
    /// The connection failed, timed out or was cut before the answer was complete.
    case transport(String)
    /// A 2xx answer that is not the JSON it should be.
    case malformed(String)
    /// The next request could exceed the budget, so it was not sent.
    case budgetExhausted(String)
    /// The server would silently ignore a parameter the job asks for.
    case unsupported(teacher: String, reason: String)
    case retriesExhausted(attempts: Int, last: String)
    case io(path: String, reason: String)
    /// A JSONL input line that cannot be used.
    case badInput(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .config(key, reason): return "\(key): \(reason)"
        case let .missingAPIKey(variable, teacher):
            return "teacher \(teacher): the environment variable \(variable) (its api_key_env) is not set; export it with the API key (use any non-empty value for a server without keys)"
        case let .api(status, body): return "the teacher answered HTTP \(status): \(body.summary)"
        case let .insufficientQuota(message):
            return "the teacher's quota is exhausted (insufficient_quota: \(message)); add credit or raise the limit, then rerun: finished records are kept"
        case let .transport(reason): return "connection to the teacher failed: \(reason)"
        case let .malformed(reason): return "the teacher's answer is not valid: \(reason)"
        case let .budgetExhausted(reason): return "budget reached: \(reason); raise `budget` in the job and rerun: finished records are kept"
        case let .unsupported(teacher, reason): return "teacher \(teacher): \(reason)"
        case let .retriesExhausted(attempts, last): return "gave up after \(attempts) attempts; last error: \(last)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .badInput(path, line, reason): return "\(path) line \(line): \(reason)"
        }
    }

    /// Whether sending the same request again may succeed.
    var isRetryable: Bool {
        switch self {
        case .transport, .malformed: return true
        case let .api(status, _): return status == 429 || status == 408 || status >= 500
        default: return false
        }
    }
}

/// The `error` object of an error answer. OpenAI sends `code` as a string (`rate_limit_exceeded`), vLLM as
/// the HTTP status number, llama.cpp as a number too; both are kept as text.
public struct APIErrorBody: Equatable, Sendable {
    public var message: String
    public var type: String?
    public var code: String?
    public var param: String?

    public init(message: String, type: String? = nil, code: String? = nil, param: String? = nil) {
        self.message = message
        self.type = type
        self.code = code
        self.param = param
    }

    /// Reads `{"error": {...}}`, a bare `{"message": ...}` (some proxies), or falls back to the raw text.
    public init(parsing body: [UInt8]) {
        guard let json = try? JSONValue.parse(Data(body)) else {
            let raw = String(decoding: body.prefix(2000), as: UTF8.self)
            self.init(message: raw.isEmpty ? "(empty body)" : raw)
            return
        }
        let error = json["error"]?.object != nil ? json["error"]! : json
        if let message = json["error"]?.string {
            self.init(message: message)
            return
        }
        func text(_ v: JSONValue?) -> String? {
            switch v {
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            case .double(let d)?: return String(Int(d))
            default: return nil
            }
        }
        self.init(message: text(error["message"]) ?? String(decoding: body.prefix(300), as: UTF8.self),
                  type: text(error["type"]), code: text(error["code"]), param: text(error["param"]))
    }

    public var isInsufficientQuota: Bool { code == "insufficient_quota" || type == "insufficient_quota" }

    var summary: String {
        var parts = [message]
        if let code { parts.append("code \(code)") }
        if let type { parts.append("type \(type)") }
        return parts.joined(separator: ", ")
    }
}
