import Foundation
import SeedTeacher

/// `seed bench teacher`: the client and the whole pipeline against the stub on loopback.
public enum TeacherBenchmark {
    public struct Result: Sendable {
        public var sequentialRequests = 0
        public var clientP50Ms = 0.0, clientP99Ms = 0.0
        public var requests = 0, inFlight = 0
        public var clientRequestsPerSecond = 0.0
        public var pipelineP50Ms = 0.0, pipelineP99Ms = 0.0
        public var pipelineRequestsPerSecond = 0.0
        public var replayRequestsPerSecond = 0.0
        /// openai-python against the same stub in the same run, when it is installed.
        public var peerP50Ms: Double?
        public var peerRequestsPerSecond: Double?

        public var json: String {
            var text = String(format: "{\"client_p50_ms\": %.4f, \"client_p99_ms\": %.4f, \"client_requests_per_s\": %.1f, \"pipeline_p50_ms\": %.4f, \"pipeline_p99_ms\": %.4f, \"pipeline_requests_per_s\": %.1f, \"replay_requests_per_s\": %.1f, \"in_flight\": %d, \"requests\": %d",
                              clientP50Ms, clientP99Ms, clientRequestsPerSecond, pipelineP50Ms, pipelineP99Ms, pipelineRequestsPerSecond,
                              replayRequestsPerSecond, inFlight, requests)
            if let peerP50Ms, let peerRequestsPerSecond {
                text += String(format: ", \"openai_python_p50_ms\": %.4f, \"openai_python_requests_per_s\": %.1f", peerP50Ms, peerRequestsPerSecond)
            }
            return text + "}"
        }
    }

    public static func run(requests: Int, inFlight: Int, sequential: Int = 2000, peer: Bool = true) async throws -> Result {
        let stub = StubTeacher()
        try await stub.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seed-bench-teacher-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var result = Result()
        result.requests = requests
        result.inFlight = inFlight
        result.sequentialRequests = sequential

        let request: @Sendable (Int) -> TeacherRequest = { k in
            var sampling = Sampling()
            sampling.maxTokens = 16
            return TeacherRequest.chat(model: "fake-teacher", messages: [ChatMessage(role: "user", content: "Benchmark prompt number \(k).")], sampling: sampling)
        }

        let client = try TeacherClient(baseURL: stub.baseURL, apiKey: "bench", maxConnections: inFlight, timeoutSeconds: 30)
        do {
            for k in 0..<200 { _ = try await client.send(request(k)).timed() }
            var times: [Double] = []
            for k in 0..<sequential { times.append(try await client.send(request(k)).timed()) }
            (result.clientP50Ms, result.clientP99Ms) = percentiles(times)
            result.clientRequestsPerSecond = try await throughput(requests, inFlight) { k in _ = try await client.send(request(k)).timed() }
        } catch {
            await client.shutdown()
            await stub.stop()
            throw error
        }
        await client.shutdown()
        if peer, let figures = openAIPython(baseURL: stub.baseURL, sequential: sequential, requests: requests, inFlight: inFlight) {
            (result.peerP50Ms, result.peerRequestsPerSecond) = figures
        }

        var teacher = TeacherConfig(name: "stub", baseURL: stub.baseURL, apiKeyEnv: "SEED_BENCH_KEY", model: "fake-teacher",
                                    prices: Prices(inputPerMillion: 1, outputPerMillion: 2),
                                    limits: RateLimiter.Limits(maxInFlight: inFlight),
                                    terms: Terms(id: "bench", url: "https://example.com", allowsTraining: true))
        teacher.maxRetries = 0
        let store = try TeacherStore(path: directory.appendingPathComponent("teacher.sqlite").path)
        try store.openBudget("bench", limitNano: nil, limitTokens: nil)
        let session = try TeacherSession(config: teacher, store: store, budgetName: "bench", environment: ["SEED_BENCH_KEY": "bench"])
        do {
            // Distinct prompts: every request misses the cache and goes through reservation and settlement.
            var times: [Double] = []
            for k in 0..<sequential {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try await session.answer(request(1_000_000 + k))
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            (result.pipelineP50Ms, result.pipelineP99Ms) = percentiles(times)
            result.pipelineRequestsPerSecond = try await throughput(requests, inFlight) { k in _ = try await session.answer(request(2_000_000 + k)) }
            result.replayRequestsPerSecond = try await throughput(requests, inFlight) { k in _ = try await session.answer(request(2_000_000 + k)) }
        } catch {
            await session.shutdown()
            await stub.stop()
            throw error
        }
        await session.shutdown()
        await stub.stop()
        return result
    }

    /// openai-python's p50 (ms, one at a time) and requests/s (AsyncOpenAI, `inFlight` at a time) against the
    /// stub, run by python3 as a child process; nil when python3 or the package is missing.
    static func openAIPython(baseURL: String, sequential: Int, requests: Int, inFlight: Int) -> (Double, Double)? {
        let script = """
        import asyncio, sys, time
        import openai
        base, sequential, requests, in_flight = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        def body(k):
            return dict(model="fake-teacher", messages=[{"role": "user", "content": f"Benchmark prompt number {k}."}],
                        max_tokens=16, temperature=1.0, top_p=1.0)
        client = openai.OpenAI(base_url=base, api_key="bench", max_retries=0)
        for k in range(200):
            client.chat.completions.create(**body(k))
        times = []
        for k in range(sequential):
            start = time.perf_counter()
            client.chat.completions.create(**body(k))
            times.append(time.perf_counter() - start)
        times.sort()
        async def throughput():
            async_client = openai.AsyncOpenAI(base_url=base, api_key="bench", max_retries=0)
            gate = asyncio.Semaphore(in_flight)
            async def one(k):
                async with gate:
                    await async_client.chat.completions.create(**body(k))
            start = time.perf_counter()
            await asyncio.gather(*(one(k) for k in range(requests)))
            return requests / (time.perf_counter() - start)
        print(times[len(times) // 2] * 1000, asyncio.run(throughput()))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, baseURL, String(sequential), String(requests), String(inFlight)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let fields = String(decoding: data, as: UTF8.self).split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard process.terminationStatus == 0, fields.count == 2 else { return nil }
        return (fields[0], fields[1])
    }

    private static func throughput(_ n: Int, _ inFlight: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(inFlight, n) {
                let k = next
                group.addTask { try await body(k) }
                next += 1
            }
            while try await group.next() != nil {
                if next < n {
                    let k = next
                    group.addTask { try await body(k) }
                    next += 1
                }
            }
        }
        return Double(n) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    private static func percentiles(_ times: [Double]) -> (Double, Double) {
        let sorted = times.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }
}

extension Attempt {
    /// The attempt's milliseconds, or its error.
    func timed() throws -> Double {
        if case .failure(let e) = result { throw e }
        return seconds * 1000
    }
}
