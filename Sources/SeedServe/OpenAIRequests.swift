import Foundation

/// A prompt of `/v1/completions`: text, token ids, or a list of either (one choice set per prompt).
enum PromptInput: Decodable, Sendable {
    case texts([String])
    case tokens([[Int32]])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { self = .texts([text]); return }
        if let ids = try? c.decode([Int32].self), !ids.isEmpty { self = .tokens([ids]); return }
        if let texts = try? c.decode([String].self) { self = .texts(texts); return }
        if let lists = try? c.decode([[Int32]].self) { self = .tokens(lists); return }
        throw DecodingError.typeMismatch(PromptInput.self, .init(
            codingPath: c.codingPath, debugDescription: "must be a string, a list of strings, a list of token ids or a list of such lists"))
    }
}

/// `stop`: one string or a list (see `RequestValidation.maxStopStrings`).
struct StopStrings: Decodable, Sendable {
    var strings: [String]

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { strings = [] } else if let one = try? c.decode(String.self) { strings = [one] } else {
            strings = try c.decode([String].self)
        }
    }
}

struct StreamOptions: Decodable, Sendable {
    var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// The body of `POST /v1/completions` (OpenAI's legacy completions, as lm-evaluation-harness sends it).
struct CompletionRequest: Decodable, Sendable {
    var model: String?
    var prompt: PromptInput
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    var n: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var logprobs: Int?
    var echo: Bool?
    var stop: StopStrings?
    var seed: Int?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, n, stream, logprobs, echo, stop, seed
        case maxTokens = "max_tokens", topP = "top_p", streamOptions = "stream_options"
    }
}

/// A chat message's content: a string, or OpenAI's list of parts of which Seed reads the text ones.
struct MessageContent: Decodable, Sendable {
    var text: String

    struct Part: Decodable { var type: String; var text: String? }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { text = ""; return }
        if let string = try? c.decode(String.self) { text = string; return }
        let parts = try c.decode([Part].self)
        if let other = parts.first(where: { $0.type != "text" }) {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "content parts of type '\(other.type)' are not supported; send text"))
        }
        text = parts.compactMap(\.text).joined()
    }
}

struct RequestMessage: Decodable, Sendable {
    var role: String
    var content: MessageContent?
}

/// The body of `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable, Sendable {
    var model: String?
    var messages: [RequestMessage]
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var n: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var logprobs: Bool?
    var topLogprobs: Int?
    var stop: StopStrings?
    var seed: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, n, stream, logprobs, stop, seed
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", topP = "top_p"
        case streamOptions = "stream_options", topLogprobs = "top_logprobs"
    }
}

/// vLLM's `POST /tokenize`: a prompt, or chat messages rendered with the chat template.
struct TokenizeRequest: Decodable, Sendable {
    var prompt: String?
    var messages: [RequestMessage]?
    var addSpecialTokens: Bool?
    var addGenerationPrompt: Bool?

    enum CodingKeys: String, CodingKey {
        case prompt, messages
        case addSpecialTokens = "add_special_tokens", addGenerationPrompt = "add_generation_prompt"
    }
}

/// vLLM's `POST /detokenize`.
struct DetokenizeRequest: Decodable, Sendable {
    var tokens: [Int32]
}

enum RequestDecoding {
    /// Decodes a request body, turning every way it can be wrong into a 400 that names the field.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError.invalidRequest("'\(path(context.codingPath))' has the wrong type: \(context.debugDescription)", param: path(context.codingPath))
        } catch let DecodingError.valueNotFound(_, context) {
            throw APIError.invalidRequest("'\(path(context.codingPath))' must not be null", param: path(context.codingPath))
        } catch let DecodingError.keyNotFound(key, context) {
            let field = path(context.codingPath + [key])
            throw APIError.invalidRequest("'\(field)' is required", param: field)
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw APIError.invalidRequest("'\(path(context.codingPath))': \(context.debugDescription)", param: path(context.codingPath))
        } catch {
            throw APIError.invalidRequest("The body is not valid JSON: send a JSON object with Content-Type application/json.")
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        let joined = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
        return joined.isEmpty ? "body" : String(joined.drop { $0 == "." })
    }
}
