import Foundation
import Hummingbird

/// The OpenAI-compatible HTTP server of a Seed model: routes, middleware and the engine behind them.
public struct SeedServer: Sendable {
    public let served: ServedModel
    public let engine: GenerationEngine
    public let metrics = ServerMetrics()
    public let configuration: ServerConfiguration

    public init(served: ServedModel, configuration: ServerConfiguration) {
        self.served = served
        self.configuration = configuration
        engine = GenerationEngine(model: served.model, maxBatch: configuration.maxBatch, prefillChunk: configuration.prefillChunk,
                                  idlePrefillChunk: configuration.idlePrefillChunk, nice: configuration.engineNice,
                                  kvPrecision: configuration.kvCache)
    }

    /// The Hummingbird application; `onRunning` gets the port it listens on (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let idle = Int64(configuration.idleTimeout.seconds * 1e9)
        return Application(router: router(), server: .http1(configuration: .init(idleTimeout: .nanoseconds(idle))),
                           configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "seed"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) })
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: OpenAIErrorMiddleware(maxBodyBytes: configuration.maxBodyBytes))
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }

        let served = served, engine = engine, metrics = metrics
        let completions = CompletionsEndpoint(served: served, engine: engine, metrics: metrics)
        let chat = ChatCompletionsEndpoint(served: served, engine: engine, metrics: metrics)
        let tokenizer = TokenizerEndpoints(served: served)
        let body = BodyReader(limit: configuration.maxBodyBytes, timeout: configuration.bodyTimeout)

        router.get("/health") { _, _ in JSONResponse.ok(Data("{\"status\":\"ok\"}".utf8)) }
        router.get("/metrics") { _, _ -> Response in
            let load = engine.load
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = metrics.render(active: load.active, waiting: load.waiting, engine: engine.statistics)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/v1/models") { _, _ in JSONResponse.ok(ModelList(served: served).json) }
        router.get("/v1/models/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard id == served.name else { throw APIError(status: .notFound, message: "The model '\(id)' does not exist; this server serves '\(served.name)'.",
                                                          type: "invalid_request_error", param: "model", code: "model_not_found") }
            return JSONResponse.ok(ResponseJSON.encode(ModelList.Entry(served: served)))
        }
        router.post("/v1/completions") { request, _ in try await completions.respond(to: try await body.read(request.body, headers: request.headers)) }
        router.post("/v1/chat/completions") { request, _ in try await chat.respond(to: try await body.read(request.body, headers: request.headers)) }
        router.get("/tokenizer_info") { _, _ in tokenizer.info() }
        router.post("/tokenize") { request, _ in try tokenizer.tokenize(try await body.read(request.body, headers: request.headers)) }
        router.post("/detokenize") { request, _ in try tokenizer.detokenize(try await body.read(request.body, headers: request.headers)) }
        return router
    }

    /// Serves until SIGINT or SIGTERM, then stops the engine.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        defer { engine.stop() }
        try await application(onRunning: onRunning).runService()
    }
}

/// `GET /v1/models`: the one model this server serves.
struct ModelList: Encodable {
    struct Entry: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "seed"
        var maxModelLen: Int

        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by", maxModelLen = "max_model_len" }

        init(served: ServedModel) {
            id = served.name
            created = served.created
            maxModelLen = served.context
        }
    }

    var object = "list"
    var data: [Entry]

    init(served: ServedModel) { data = [Entry(served: served)] }

    var json: Data { ResponseJSON.encode(self) }
}
