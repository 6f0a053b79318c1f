import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One attempt at a request: the answer or the error, and what the headers said about the limits.
public struct Attempt: Sendable {
    public var result: Result<TeacherResponse, TeacherError>
    public var limits: RateLimitHeaders
    /// Whether the server may have done (and billed) the work although no usable answer came back: a
    /// connection cut mid-answer or a timeout. The budget then keeps the request at its reservation.
    public var mayHaveBilled: Bool
    public var seconds: Double
}

/// An OpenAI-compatible endpoint over async-http-client: one request, one attempt; retries, limits and the
/// budget are the session's business.
public final class TeacherClient: Sendable {
    public let baseURL: String
    /// The host (and port) of the base URL, as records name it in `seed.base_url_host`.
    public let host: String
    private let authorization: String?
    private let http: HTTPClient
    private let timeout: TimeAmount
    private let maxTokensField: MaxTokensField
    /// Largest answer body accepted: a runaway server must not take the memory.
    private let maxBodyBytes = 64 << 20

    /// `maxConnections` should match the largest number of requests in flight: async-http-client opens 8
    /// connections per host by default and queues the rest, which would cap the throughput.
    public init(baseURL: String, apiKey: String?, maxConnections: Int, timeoutSeconds: Double,
                maxTokensField: MaxTokensField = .maxTokens) throws {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme, ["http", "https"].contains(scheme), let h = url.host else {
            throw TeacherError.config(key: "base_url", reason: "expected an http(s) URL such as http://127.0.0.1:8000/v1, got \"\(baseURL)\"")
        }
        self.baseURL = trimmed
        host = url.port.map { "\(h):\($0)" } ?? h
        authorization = apiKey.map { "Bearer \($0)" }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnections))
        configuration.timeout = .init(connect: .seconds(10), read: .milliseconds(Int64(timeoutSeconds * 1000)))
        configuration.decompression = .enabled(limit: .ratio(100))
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        timeout = .milliseconds(Int64(timeoutSeconds * 1000))
        self.maxTokensField = maxTokensField
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The ids that `/models` lists.
    public func models() async throws -> [String] {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(makeRequest(path: "/models", method: .GET, body: nil), timeout: timeout)
            body = try await response.body.collect(upTo: maxBodyBytes)
        } catch {
            throw TeacherError.transport(Self.describe(error))
        }
        let bytes = Array(body.readableBytesView)
        guard (200..<300).contains(response.status.code) else { throw TeacherError.api(status: Int(response.status.code), APIErrorBody(parsing: bytes)) }
        guard let json = try? JSONValue.parse(Data(bytes)), let data = json["data"]?.array else {
            throw TeacherError.malformed("/models did not answer {\"data\": [...]}")
        }
        return data.compactMap { $0["id"]?.string }
    }

    /// Sends `request` once. Streaming answers are assembled into the non-streamed shape.
    public func send(_ request: TeacherRequest, includeUsage: Bool = true) async -> Attempt {
        let start = DispatchTime.now().uptimeNanoseconds
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var limits = RateLimitHeaders()
        var receivedHead = false
        do {
            let response = try await http.execute(
                makeRequest(path: request.endpoint.rawValue, method: .POST, body: request.wireBody(includeUsage: includeUsage, maxTokensField: maxTokensField)),
                timeout: timeout)
            receivedHead = true
            limits = RateLimitHeaders { response.headers.first(name: $0) }
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                let body = try await response.body.collect(upTo: maxBodyBytes)
                let error = APIErrorBody(parsing: Array(body.readableBytesView))
                let failure: TeacherError = status == 429 && error.isInsufficientQuota ? .insufficientQuota(error.message) : .api(status: status, error)
                return Attempt(result: .failure(failure), limits: limits, mayHaveBilled: false, seconds: seconds())
            }
            let raw: JSONValue
            if request.stream {
                var assembler = StreamAssembler(endpoint: request.endpoint)
                for try await chunk in response.body { try assembler.feed(chunk.readableBytesView) }
                raw = try assembler.finish()
            } else {
                let body = try await response.body.collect(upTo: maxBodyBytes)
                do {
                    raw = try JSONValue.parse(Data(body.readableBytesView))
                } catch {
                    throw TeacherError.malformed("the body is not JSON (\(body.readableBytes) bytes)")
                }
            }
            return Attempt(result: .success(try TeacherResponse(raw: raw)), limits: limits, mayHaveBilled: true, seconds: seconds())
        } catch let error as TeacherError {
            return Attempt(result: .failure(error), limits: limits, mayHaveBilled: true, seconds: seconds())
        } catch {
            // Before the head arrived the server cannot have finished the work; after it, a cut answer may be billed.
            return Attempt(result: .failure(.transport(Self.describe(error))), limits: limits, mayHaveBilled: receivedHead || Self.isTimeout(error),
                           seconds: seconds())
        }
    }

    private func makeRequest(path: String, method: HTTPMethod, body: Data?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    static func isTimeout(_ error: Error) -> Bool {
        if let e = error as? HTTPClientError { return e == .deadlineExceeded || e == .readTimeout }
        return false
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .remoteConnectionClosed: return "the server closed the connection mid-answer"
            case .connectTimeout: return "connect timed out"
            default: return "\(e)"
            }
        }
        return String(describing: error)
    }
}
