import Foundation
import NIOCore
import NIOHTTP1

/// One connection of the stub: collects a request, answers it (or fails it as scripted).
final class StubHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let stub: StubTeacher
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(stub: StubTeacher) { self.stub = stub }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, Data(body.readableBytesView), context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, _ body: Data, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        if head.method == .GET && path.hasSuffix("/models") {
            let data = stub.behaviour.models.map { ["id": $0, "object": "model", "created": 0, "owned_by": "stub"] as [String: Any] }
            send(context, status: .ok, json: ["object": "list", "data": data])
            return
        }
        guard head.method == .POST, path.hasSuffix("/chat/completions") || path.hasSuffix("/completions") else {
            send(context, status: .notFound, json: StubAnswers.error("no route \(head.method) \(path)", type: "invalid_request_error", code: "not_found"))
            return
        }
        stub.began()
        let fault = stub.nextFault()
        if case .slow(let seconds)? = fault {
            stub.countFault()
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                let (handler, context) = loopBound.value
                handler.answer(path: path, body: body, fault: nil, context: context)
            }
            return
        }
        let latency = stub.behaviour.latency
        if latency > 0 {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(latency * 1e9))) {
                let (handler, context) = loopBound.value
                handler.answer(path: path, body: body, fault: fault, context: context)
            }
            return
        }
        answer(path: path, body: body, fault: fault, context: context)
    }

    private func answer(path: String, body: Data, fault: StubTeacher.Fault?, context: ChannelHandlerContext) {
        defer { stub.ended() }
        if let fault, fault != .cutMidBody, fault != .malformedJSON {
            stub.countFault()
            sendFault(fault, context: context)
            return
        }
        guard let request = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            send(context, status: .badRequest, json: StubAnswers.error("the body is not JSON", type: "invalid_request_error", code: nil))
            return
        }
        let behaviour = stub.behaviour
        let model = request["model"] as? String ?? ""
        guard behaviour.models.contains(model) else {
            send(context, status: .notFound, json: StubAnswers.error("The model `\(model)` does not exist", type: "invalid_request_error", code: "model_not_found"))
            return
        }
        if behaviour.rejectsMaxTokens, path.hasSuffix("/chat/completions"), request["max_tokens"] != nil {
            send(context, status: .badRequest, json: StubAnswers.error(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                type: "invalid_request_error", code: "unsupported_parameter"))
            return
        }
        let reply = StubAnswers.reply(to: request, chat: path.hasSuffix("/chat/completions"), behaviour: behaviour)
        if fault == .malformedJSON {
            stub.countFault()
            sendRaw(context, status: .ok, headers: [("content-type", "application/json")], body: Array("{\"id\": \"chatcmpl-stub\", \"choices\": [".utf8))
            return
        }
        let stream = request["stream"] as? Bool ?? false
        let bytes: [UInt8]
        if stream {
            let includeUsage = behaviour.supportsIncludeUsage && ((request["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false)
            bytes = Array(reply.sse(includeUsage: includeUsage).utf8)
        } else {
            bytes = Array(((try? JSONSerialization.data(withJSONObject: reply.object, options: [.sortedKeys])) ?? Data()))
        }
        if fault == .cutMidBody {
            stub.countFault()
            var headers = HTTPHeaders([("content-type", stream ? "text/event-stream" : "application/json")])
            headers.add(name: "content-length", value: String(bytes.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes.prefix(bytes.count / 2))))), promise: nil)
            context.close(promise: nil)
            return
        }
        stub.countAnswer(prompt: reply.promptKey, usage: reply.usage, body: String(decoding: body, as: UTF8.self))
        var headers: [(String, String)] = [("content-type", stream ? "text/event-stream" : "application/json")]
        if behaviour.rateLimitHeaders {
            headers += [("x-ratelimit-limit-requests", "10000"), ("x-ratelimit-remaining-requests", "9999"),
                        ("x-ratelimit-reset-requests", "6ms"), ("x-ratelimit-limit-tokens", "10000000"),
                        ("x-ratelimit-remaining-tokens", "9999000"), ("x-ratelimit-reset-tokens", "6m0s")]
        }
        sendRaw(context, status: .ok, headers: headers, body: bytes)
    }

    private func sendFault(_ fault: StubTeacher.Fault, context: ChannelHandlerContext) {
        switch fault {
        case .rateLimited(let ms):
            var headers = [("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "20ms"),
                           ("x-ratelimit-limit-requests", "600")]
            if let ms { headers.append(("retry-after-ms", String(ms))) }
            send(context, status: .tooManyRequests, headers: headers,
                 json: StubAnswers.error("Rate limit reached for requests per min (RPM): Limit 600, Used 600, Requested 1. Please try again in \(ms ?? 20)ms.",
                                         type: "requests", code: "rate_limit_exceeded"))
        case .rateLimitedSeconds(let value):
            send(context, status: .tooManyRequests, headers: [("retry-after", value)],
                 json: StubAnswers.error("Rate limit reached", type: "requests", code: "rate_limit_exceeded"))
        case .insufficientQuota:
            send(context, status: .tooManyRequests,
                 json: StubAnswers.error("You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", code: "insufficient_quota"))
        case .serverError:
            send(context, status: .internalServerError, json: StubAnswers.error("The server had an error while processing your request.", type: "server_error", code: nil))
        case .vllmError(let status):
            send(context, status: HTTPResponseStatus(statusCode: status),
                 json: ["error": ["message": "vLLM says no", "type": status >= 500 ? "InternalServerError" : "BadRequestError", "param": NSNull(), "code": status] as [String: Any]])
        case .cutMidBody, .malformedJSON, .slow:
            break
        }
    }

    private func send(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: [(String, String)] = [], json: [String: Any]) {
        let body = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
        sendRaw(context, status: status, headers: headers + [("content-type", "application/json")], body: Array(body))
    }

    private func sendRaw(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: [(String, String)], body: [UInt8]) {
        var h = HTTPHeaders(headers)
        h.add(name: "content-length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: h))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
