import Foundation
import Hummingbird

/// An error as OpenAI's API reports it: `{"error": {"message", "type", "param", "code"}}` with an HTTP status.
/// Clients (the `openai` package, lm-evaluation-harness) show `message`, so it says what to change.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func unknownModel(_ name: String, served: String) -> APIError {
        invalidRequest("The model '\(name)' does not exist; this server serves '\(served)' (see GET /v1/models).",
                       param: "model", code: "model_not_found")
    }

    static func contextTooLong(prompt: Int, requested: Int, context: Int, param: String) -> APIError {
        invalidRequest("This model's maximum context length is \(context) tokens, but \(prompt) prompt tokens and \(requested) "
                       + "tokens to generate were requested. Shorten the prompt or lower max_tokens.",
                       param: param, code: "context_length_exceeded")
    }

    static let missingKey = APIError(status: .unauthorized, message: "Incorrect or missing API key: send the server's key as 'Authorization: Bearer KEY'.",
                                     type: "invalid_request_error", code: "invalid_api_key")

    static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, message: "No endpoint \(path); this server has /v1/models, /v1/chat/completions, /v1/completions, "
                 + "/tokenize, /detokenize, /tokenizer_info, /health and /metrics.", type: "invalid_request_error", code: "not_found")
    }

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body is larger than the server's limit of \(limit) bytes.",
                 type: "invalid_request_error", code: "request_too_large")
    }

    static let timedOut = APIError(status: .requestTimeout, message: "The request body did not arrive in time.",
                                   type: "invalid_request_error", code: "request_timeout")

    static func `internal`(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error")
    }

    /// The JSON body; `param` and `code` are always present (null when unknown), as OpenAI sends them.
    var json: Data {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        return (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}
