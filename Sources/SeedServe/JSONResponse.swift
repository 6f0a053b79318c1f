import Foundation
import Hummingbird

enum JSONResponse {
    static func ok(_ json: Data) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// How often a waiting answer sends a space (JSON allows leading whitespace).
    static let heartbeat: Duration = .milliseconds(500)

    /// A JSON answer that may take a while to make (a whole generation). What is ready within one
    /// `heartbeat` (most answers of a small model, and every failure that comes early, such as a server
    /// shutting down) gets its own status: an error goes to the error middleware. Past that, the head goes
    /// out with 200 and a space follows every `heartbeat` until the JSON is ready; a failure from then on
    /// can only end the body with its error JSON. A space that cannot be written means the client went
    /// away, and `make`'s task is cancelled, which drops its sequences from the engine.
    static func whileGenerating(_ make: @escaping @Sendable () async throws -> Data) async throws -> Response {
        let latch = ResultLatch<Data>()
        let task = Task {
            do { latch.set(.success(try await make())) } catch { latch.set(.failure(error)) }
        }
        let early = await withTaskCancellationHandler {
            await latch.wait(upTo: heartbeat)
        } onCancel: {
            task.cancel()
        }
        if let early { return ok(try early.get()) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                while true {
                    guard let result = await latch.wait(upTo: heartbeat) else {
                        try await writer.write(ByteBuffer(string: " "))
                        continue
                    }
                    let json: Data
                    do {
                        json = try result.get()
                    } catch let error as APIError {
                        // The status line has gone out already: the body still says what failed, in OpenAI's shape.
                        json = error.json
                    }
                    try await writer.write(ByteBuffer(bytes: json))
                    try await writer.finish(nil)
                    return
                }
            } catch {
                task.cancel()
                throw error
            }
        })
    }
}

/// The result of work that runs on past its caller, for waits that may give up.
final class ResultLatch<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Value, Error>?
    private var waiters: [Int: CheckedContinuation<Result<Value, Error>?, Never>] = [:]
    /// Waits whose time ran out before they had parked.
    private var expired: Set<Int> = []
    private var lastWait = 0

    func set(_ result: Result<Value, Error>) {
        lock.lock()
        self.result = result
        let waking = waiters
        waiters = [:]
        lock.unlock()
        for waiter in waking.values { waiter.resume(returning: result) }
    }

    /// The result, or nil when `timeout` passes first.
    func wait(upTo timeout: Duration) async -> Result<Value, Error>? {
        let id: Int = lock.withLock {
            lastWait += 1
            return lastWait
        }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(returning: result)
            } else if expired.remove(id) != nil {
                lock.unlock()
                continuation.resume(returning: nil)
            } else {
                waiters[id] = continuation
                lock.unlock()
            }
        }
    }

    private func expire(_ id: Int) {
        lock.lock()
        let waiter = waiters.removeValue(forKey: id)
        if waiter == nil && result == nil { expired.insert(id) }
        lock.unlock()
        waiter?.resume(returning: nil)
    }
}
