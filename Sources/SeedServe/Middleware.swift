import Foundation
import Hummingbird

/// Counts every request by endpoint and final status, and times it (to the response head).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let endpoint = Self.endpoint(request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.recordRequest(endpoint: endpoint, status: response.status.code, seconds: (ContinuousClock.now - started).seconds)
            return response
        } catch {
            // Only a cancelled request gets here (the error middleware answers everything else): nginx's
            // "client closed request".
            metrics.recordRequest(endpoint: endpoint, status: 499, seconds: (ContinuousClock.now - started).seconds)
            throw error
        }
    }

    /// Known paths by name, everything else as "other", so that probing clients cannot add series.
    static func endpoint(_ path: String) -> String {
        let known = ["/v1/models", "/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize", "/tokenizer_info", "/health", "/metrics"]
        if known.contains(path) { return path }
        return path.hasPrefix("/v1/models/") ? "/v1/models/{id}" : "other"
    }
}

/// Answers every failure in OpenAI's error shape, so that clients show a message instead of a parse error.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPResponseError {
            switch error.status {
            case .notFound: return APIError.notFound(request.uri.path).response
            case .contentTooLarge: return APIError.bodyTooLarge(limit: maxBodyBytes).response
            default: return APIError(status: error.status, message: "\(error.status.reasonPhrase)", type: "invalid_request_error").response
            }
        } catch {
            return APIError.internal("The server failed: \(error)").response
        }
    }
}

/// The paths `APIKeyMiddleware` serves without a key (a generic type cannot hold a stored static, and a
/// computed one would build the set for every request).
private let keylessPaths: Set<String> = ["/health", "/metrics", "/tokenizer_info", "/tokenize", "/detokenize"]

/// With a key configured, every endpoint but the open ones needs `Authorization: Bearer KEY`. vLLM leaves
/// the same ones open: health and metrics for probes, and the tokenizer, which lm-evaluation-harness's
/// remote tokenizer calls.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !Self.isOpen(request.uri.path) {
            let header = request.headers[.authorization] ?? ""
            guard header.hasPrefix("Bearer "), Self.equal(Array(header.dropFirst(7).utf8), Array(key.utf8)) else { throw APIError.missingKey }
        }
        return try await next(request, context)
    }

    /// Whether `path` is one of `keylessPaths`, compared as the router compares it: empty segments do not
    /// count, so `//v1/models` is `/v1/models` to both (a prefix test on the raw path let it through without a key).
    static func isOpen(_ path: String) -> Bool {
        keylessPaths.contains("/" + path.split(separator: "/").joined(separator: "/"))
    }

    /// Compares in time that depends on the length only, so timing does not reveal how much of a key is right.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
