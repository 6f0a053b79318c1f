import ArgumentParser
import Foundation
import SeedTeacherStub

struct BenchTeacherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teacher",
        abstract: "Latency and throughput of the teacher client, and of the whole pipeline, against a local stub.",
        discussion: """
            The stub runs in this process on loopback and answers at once, so the round trip is an upper bound of \
            the client's own overhead. The pipeline adds the cache lookup, budget reservation, rate limiter, and the \
            settlement (spend, ledger row, cache entry) in SQLite. For scale: LiteLLM's proxy reports about 5 ms of \
            overhead per request (x-litellm-overhead-duration-ms, PR #7899). When python3 has the openai package, its \
            client runs against the same stub in the same run (sync client one at a time, AsyncOpenAI for the \
            throughput). Use a release build.
            """)

    @Option(help: "Requests per throughput measurement.") var requests = 5000
    @Option(name: .customLong("in-flight"), help: "Requests in flight in the throughput measurements.") var inFlight = 64
    @Option(help: "Requests per latency measurement (sent one at a time).") var sequential = 2000
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(name: .customLong("no-peer"), help: "Skip openai-python (run beside Seed's client when python3 has it).") var noPeer = false

    func run() async throws {
        try await reportingErrorsAsync {
            let r = try await TeacherBenchmark.run(requests: requests, inFlight: inFlight, sequential: sequential, peer: !noPeer)
            if json {
                print(r.json)
                return
            }
            var peerLatency = "", peerRate = ""
            if let p50 = r.peerP50Ms, let rate = r.peerRequestsPerSecond {
                peerLatency = String(format: "   openai-python %.3f ms (×%.1f)", p50, p50 / r.clientP50Ms)
                peerRate = String(format: "   openai-python %.0f/s (×%.1f)", rate, r.clientRequestsPerSecond / rate)
            }
            print(String(format: "client     p50 %.3f ms, p99 %.3f ms per request, one at a time (%d requests)", r.clientP50Ms, r.clientP99Ms, r.sequentialRequests) + peerLatency)
            print(String(format: "client     %.0f requests/s with %d in flight (%d requests)", r.clientRequestsPerSecond, r.inFlight, r.requests) + peerRate)
            print(String(format: "pipeline   p50 %.3f ms, p99 %.3f ms per request, one at a time", r.pipelineP50Ms, r.pipelineP99Ms))
            print(String(format: "pipeline   %.0f requests/s with %d in flight (cache, budget, limiter, ledger in SQLite)", r.pipelineRequestsPerSecond, r.inFlight))
            print(String(format: "replay     %.0f requests/s from the cache", r.replayRequestsPerSecond))
        }
    }
}

struct StubTeacherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stub-teacher", abstract: "Serve the test stub teacher (OpenAI-compatible) on loopback.", shouldDisplay: false)

    @Option(help: "Port (0: any free one, printed).") var port = 18080
    @Option(help: "Seconds before each answer.") var latency = 0.0
    @Option(name: .customLong("fault-rate"), help: "Share of requests answered with a random fault (429, 500, cut, malformed).") var faultRate = 0.0
    @Option(help: "Model names served.") var model: [String] = ["fake-teacher"]

    func run() async throws {
        var behaviour = StubTeacher.Behaviour()
        behaviour.latency = latency
        behaviour.models = model
        behaviour.faultRate = faultRate
        behaviour.randomFaults = [.rateLimited(retryAfterMs: 50), .serverError, .cutMidBody, .malformedJSON]
        let stub = StubTeacher(behaviour)
        let bound = try await stub.start(port: port)
        print("stub teacher on http://127.0.0.1:\(bound)/v1")
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
}
