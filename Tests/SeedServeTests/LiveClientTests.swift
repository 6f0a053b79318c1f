import Foundation
import Hummingbird
import HummingbirdTesting
import SeedModel
@testable import SeedServe
import XCTest
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Clients outside the test framework: the official `openai` Python package, and raw sockets that hang up.
final class LiveClientTests: XCTestCase {
    func serve(_ served: ServedModel, apiKey: String? = nil, _ test: @escaping @Sendable (SeedServer, Int) async throws -> Void) async throws {
        let server = SeedServer(served: served, configuration: ServerConfiguration(port: 0, apiKey: apiKey))
        defer { server.engine.stop() }
        try await server.application().test(.live) { client in try await test(server, try XCTUnwrap(client.port)) }
    }

    func testTheOfficialOpenAIClientWorksAgainstTheServer() async throws {
        guard try await run(["python3", "-c", "import openai"]).status == 0 else {
            throw XCTSkip("python3 with the openai package is not available (pip install openai)")
        }
        let folder = try TinyModel.bpeFolder(context: 128)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/openai_client_check.py")
        try await serve(try ServedModel.load(folder: folder, name: "tiny"), apiKey: "test-key") { _, port in
            let result = try await self.run(["python3", script.path, "http://127.0.0.1:\(port)/v1", "tiny", "test-key"])
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertTrue(result.output.contains("all openai client checks passed"), result.output)
        }
    }

    /// A model slow enough that 4,000 tokens take seconds, with no end token to stop it early.
    func slowByteModel() throws -> ServedModel {
        let model = try LlamaModel(config: LlamaConfig(vocabSize: 256, dim: 512, layers: 4, heads: 8, kvHeads: 8, hidden: 1536, context: 4096))
        model.initializeWeights(seed: 3)
        return ServedModel(model: model, tokenizer: .bytes, name: "slow")
    }

    func testAClientThatHangsUpStopsItsGeneration() async throws {
        try await serve(try slowByteModel()) { server, port in
            for stream in [true, false] {
                let socket = try RawClient(port: port)
                try socket.send(path: "/v1/completions", json: "{\"prompt\": \"hello\", \"max_tokens\": 4000, \"temperature\": 1, \"stream\": \(stream)}")
                if stream {
                    var received = ""
                    while !received.contains("data: ") { received += try socket.receive() }
                } else {
                    try await Task.sleep(for: .milliseconds(300))
                }
                XCTAssertEqual(server.engine.load.active, 1, "generating while connected (stream: \(stream))")
                socket.close()
                // A streamed answer notices at its next token; a whole answer at its next heartbeat space.
                let deadline = ContinuousClock.now + .seconds(3)
                while server.engine.load.active > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                XCTAssertEqual(server.engine.load.active, 0, "a hung-up client's sequence is dropped (stream: \(stream))")
            }
        }
    }

    /// A request whose body never finishes does not hold the server: others are answered meanwhile.
    func testAHalfSentRequestDoesNotHoldTheServer() async throws {
        let folder = try TinyModel.bpeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await serve(try ServedModel.load(folder: folder)) { _, port in
            let stalled = try RawClient(port: port)
            try stalled.sendRaw("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"prompt\":")
            let other = try RawClient(port: port)
            try other.sendRaw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertTrue(try other.receive().hasPrefix("HTTP/1.1 200"))
            stalled.close()
            other.close()
        }
    }

    func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return (status, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}

/// A bare HTTP/1.1 connection, for clients that misbehave on purpose.
final class RawClient: @unchecked Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(path: String, json: String) throws {
        try sendRaw("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
    }

    func sendRaw(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// What has arrived so far (waits for at least one byte).
    func receive() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }
}
