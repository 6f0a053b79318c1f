import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An OpenAI-compatible teacher on loopback, with faults on demand: what the tests drive SeedTeacher
/// against, and what `seed bench teacher` measures the client with. Answers are deterministic functions of
/// the request, so a test can predict them.
public final class StubTeacher: @unchecked Sendable {
    /// One fault, applied to one request.
    public enum Fault: Sendable, Equatable {
        /// 429 `rate_limit_exceeded` with `retry-after-ms` (or `retry-after` in seconds) and `x-ratelimit-*` headers.
        case rateLimited(retryAfterMs: Int?)
        case rateLimitedSeconds(String)
        /// 429 `insufficient_quota`: retrying cannot help.
        case insufficientQuota
        case serverError
        /// vLLM's shape: `code` is the status as a number.
        case vllmError(status: Int)
        /// Half the body, then the connection closes.
        case cutMidBody
        /// A 200 whose body is not JSON.
        case malformedJSON
        case slow(seconds: Double)
    }

    /// How the stub answers when no fault applies.
    public struct Behaviour: Sendable {
        public var models = ["fake-teacher"]
        /// Report completion tokens = max_tokens (and prompt tokens = Seed's upper bound): the worst case a budget must survive.
        public var worstCaseUsage = false
        public var latency = 0.0
        public var supportsN = true
        public var supportsIncludeUsage = true
        public var maxTopLogprobs = 20
        public var ignoresResponseFormat = false
        public var supportsEcho = true
        /// Answer `max_tokens` on the chat endpoint with OpenAI's 400 for its reasoning models.
        public var rejectsMaxTokens = false
        /// Send `x-ratelimit-*` headers on every answer.
        public var rateLimitHeaders = false
        /// Each request fails with a random fault from `randomFaults` with this probability (seeded).
        public var faultRate = 0.0
        public var randomFaults: [Fault] = []
        public var seed: UInt64 = 1

        public init() {}
    }

    public struct Stats: Sendable {
        public var requests = 0
        public var answered = 0
        public var faults = 0
        public var completionTokens = 0
        public var promptTokens = 0
        /// How often each distinct body (its last user message) was answered with a 200.
        public var answersByPrompt: [String: Int] = [:]
        public var lastBodies: [String] = []
        public var inFlight = 0
        public var maxInFlight = 0
    }

    private let lock = NSLock()
    private var behaviourValue: Behaviour
    private var scripted: [Fault] = []
    private var statsValue = Stats()
    private var rng: UInt64
    private var channel: Channel?
    /// Open client connections, closed by `stop` too: a switched-off teacher keeps no connection alive.
    private var connections: [ObjectIdentifier: Channel] = [:]
    public private(set) var port = 0

    public init(_ behaviour: Behaviour = Behaviour()) {
        behaviourValue = behaviour
        rng = behaviour.seed
    }

    public var behaviour: Behaviour {
        get { lock.withLock { behaviourValue } }
        set { lock.withLock { behaviourValue = newValue } }
    }

    public var stats: Stats { lock.withLock { statsValue } }
    public func resetStats() { lock.withLock { statsValue = Stats() } }

    /// Faults for the next requests, one each, in order.
    public func script(_ faults: [Fault]) { lock.withLock { scripted += faults } }

    /// Listens on 127.0.0.1 (`port` 0: any free port) and returns the port.
    @discardableResult
    public func start(port: Int = 0) async throws -> Int {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                let id = ObjectIdentifier(channel)
                lock.withLock { connections[id] = channel }
                channel.closeFuture.whenComplete { _ in self.lock.withLock { _ = self.connections.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StubHandler(stub: self))
                }
            }
        let bound = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        channel = bound
        self.port = bound.localAddress?.port ?? port
        return self.port
    }

    /// Stops listening: a client then gets "connection refused", as from a teacher that is switched off.
    public func stop() async {
        try? await channel?.close()
        channel = nil
        for connection in lock.withLock({ Array(connections.values) }) { try? await connection.close() }
    }

    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    // MARK: Serving

    func nextFault() -> Fault? {
        lock.withLock {
            if !scripted.isEmpty { return scripted.removeFirst() }
            let b = behaviourValue
            guard b.faultRate > 0, !b.randomFaults.isEmpty else { return nil }
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            guard Double(z >> 11) / Double(1 << 53) < b.faultRate else { return nil }
            return b.randomFaults[Int(z % UInt64(b.randomFaults.count))]
        }
    }

    func began() { lock.withLock { statsValue.requests += 1; statsValue.inFlight += 1; statsValue.maxInFlight = max(statsValue.maxInFlight, statsValue.inFlight) } }
    func ended() { lock.withLock { statsValue.inFlight -= 1 } }
    func countFault() { lock.withLock { statsValue.faults += 1 } }

    func countAnswer(prompt: String, usage: (Int, Int), body: String) {
        lock.withLock {
            statsValue.answered += 1
            statsValue.promptTokens += usage.0
            statsValue.completionTokens += usage.1
            statsValue.answersByPrompt[prompt, default: 0] += 1
            statsValue.lastBodies.append(body)
            if statsValue.lastBodies.count > 64 { statsValue.lastBodies.removeFirst() }
        }
    }
}
